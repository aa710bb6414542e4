package shim

import (
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/state"
)

func TestBackoffDoublesUpToMaxDelay(t *testing.T) {
	r := profile.Restart{Delay: 2 * time.Second, MaxDelay: 10 * time.Second}
	want := []time.Duration{0, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for n, w := range want {
		if got := Backoff(r, n); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, w)
		}
	}
	if got := Backoff(profile.Restart{}, 3); got != 0 {
		t.Errorf("no delay configured: %v", got)
	}
}

func TestWithinKeepsTheWindow(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	fs := []state.Failure{{At: now.Add(-11 * time.Minute)}, {At: now.Add(-10 * time.Minute)}, {At: now.Add(-time.Second)}}
	if got := Within(fs, 10*time.Minute, now); len(got) != 2 {
		t.Fatalf("Within = %v, want the last two", got)
	}
}

func TestReasonReadsLikeAPerson(t *testing.T) {
	cases := []struct {
		f      state.Failure
		killed string
		want   string
	}{
		{state.Failure{ExitCode: 1}, "", "exited with code 1"},
		{state.Failure{ExitCode: 137, OOMKilled: true}, "", "exited with code 137: OOM killed"},
		{state.Failure{ExitCode: 137}, "killed by docker kill or docker stop (signal 9)", "exited with code 137: killed by docker kill or docker stop (signal 9)"},
	}
	for _, c := range cases {
		if got := Reason(c.f, nil, c.killed); got != c.want {
			t.Errorf("Reason = %q, want %q", got, c.want)
		}
	}
}
