package when

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Time{
		"90m":                       now.Add(-90 * time.Minute),
		"24h":                       now.Add(-24 * time.Hour),
		"7d":                        now.Add(-7 * 24 * time.Hour),
		"2026-11-25":                time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		"2026-11-25T10:30:00Z":      time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC),
		"2026-11-25T10:30:00+02:00": time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC),
		"2026-11-25T10:30":          time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC),
	}
	for in, want := range cases {
		got, err := Parse(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5m", "2026-13-01", "1e9d"} {
		if _, err := Parse(bad, now); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"90m", "2026-11-25", "2026-11-25T10:30:00Z", "7d", "", "1.5d"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s, now)
		if _, isDur := duration(strings.TrimSpace(s)); isDur && (err != nil || v.After(now)) {
			t.Fatalf("duration %q → %v, %v: want a time at or before now", s, v, err)
		}
	})
}
