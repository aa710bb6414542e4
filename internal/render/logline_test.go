package render

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The stamper agrees with the general formatter, also across seconds, days,
// time zones and before 1970, and whether or not the second repeats.
func TestStamperMatchesAppendFormat(t *testing.T) {
	var st Stamper
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
		if got := string(st.Append(nil, tm)); got != want {
			t.Fatalf("stamper(%v) = %s, want %s", tm, got, want)
		}
	}
}

func TestAppendLogLineEscapesControlBytes(t *testing.T) {
	var st Stamper
	rec := LogLine{TS: time.Date(2026, 11, 26, 1, 2, 3, 4e6, time.UTC), Service: "db", Stream: "stderr",
		Level: "error", Msg: []byte("a\x1b[31mb\tc\xff")}
	want := `2026-11-26T01:02:03.004Z db stderr ERROR a\x1b[31mb` + "\t" + `c\xff`
	if got := string(AppendLogLine(nil, &st, rec)); got != want {
		t.Fatalf("AppendLogLine = %q, want %q", got, want)
	}
}
