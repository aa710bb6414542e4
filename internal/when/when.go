// Package when parses the time arguments of `pm2dock logs --since/--until`
// (docs/contracts.md#commands): an RFC 3339 time, a date (midnight UTC), or a duration meaning
// "that long ago" (90m, 24h, 2h30m; also d for days: 7d).
package when

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var layouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// Parse returns the instant s names, relative to now for durations. Times
// without a zone are UTC, like the store's records.
func Parse(s string, now time.Time) (time.Time, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return time.Time{}, fmt.Errorf("empty time: want RFC 3339 (2026-11-26T10:00:00Z), a date (2026-11-26) or a duration ago (90m, 24h, 7d)")
	}
	if d, ok := duration(t); ok {
		return now.Add(-d), nil
	}
	for _, l := range layouts {
		if v, err := time.Parse(l, t); err == nil {
			return v.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2026-11-26T10:00:00Z), a date (2026-11-26) or a duration ago (90m, 24h, 7d)", s)
}

func duration(s string) (time.Duration, bool) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err != nil || n < 0 || n > 1e5 {
			return 0, false
		}
		return time.Duration(n * float64(24*time.Hour)), true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}
