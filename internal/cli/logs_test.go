package cli

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/iostreams"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

// The stamper agrees with the general formatter, also across seconds, days,
// time zones and before 1970, and whether or not the second repeats.
func TestStamperMatchesAppendFormat(t *testing.T) {
	var st stamper
	r := rand.New(rand.NewPCG(1, 2))
	zone := time.FixedZone("x", 5*3600+1800)
	ts := []time.Time{
		{}, time.Unix(0, 0), time.Unix(-1, 500e6), time.Unix(-1, 499e6),
		time.Date(2026, 11, 26, 23, 59, 59, 999999999, time.UTC), time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 27, 4, 0, 0, 1e6, zone), time.Date(2026, 11, 27, 4, 0, 0, 2e6, zone),
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 10000; i++ {
		ts = append(ts, t0.Add(time.Duration(r.Int64N(int64(48*time.Hour)))))
		if i%3 == 0 {
			ts = append(ts, ts[len(ts)-1].Add(time.Duration(r.Int64N(int64(time.Second)))))
		}
	}
	for _, tm := range ts {
		want := tm.UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(st.append(nil, tm)); got != want {
			t.Fatalf("stamper(%v) = %s, want %s", tm, got, want)
		}
	}
}

func TestAppendTextEscapesControlBytes(t *testing.T) {
	var st stamper
	rec := logstore.Record{TS: time.Date(2026, 11, 26, 1, 2, 3, 4e6, time.UTC), Service: "db", Stream: "stderr",
		Level: logstore.LevelError, Msg: []byte("a\x1b[31mb\tc\xff")}
	want := `2026-11-26T01:02:03.004Z db stderr ERROR a\x1b[31mb` + "\t" + `c\xff`
	if got := string(appendText(nil, &st, rec)); got != want {
		t.Fatalf("appendText = %q, want %q", got, want)
	}
}

// An inverted or empty window is a usage error naming both ends, for logs
// and events alike, before any store is read.
func TestInvertedWindowExits2(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pm2dock.yaml"), []byte("services:\n  db: {service: postgres}\n"), 0o644)
	for _, verb := range []string{"logs", "events"} {
		for _, w := range [][2]string{{"5m", "10m"}, {"2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z"}} {
			io, _, errOut := iostreams.Test()
			f := NewFactory(io)
			f.Cwd = func() (string, error) { return dir, nil }
			f.Environ = func() []string { return nil }
			code := Run(context.Background(), f, []string{verb, "--since", w[0], "--until", w[1]})
			if code != 2 || !strings.Contains(errOut.String(), "the window is empty") || !strings.Contains(errOut.String(), "--until "+w[1]) {
				t.Errorf("%s --since %s --until %s: exit %d, want 2 naming the window\n%s", verb, w[0], w[1], code, errOut)
			}
		}
	}
}
