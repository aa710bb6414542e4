// Package render is how pm2dock writes the small things it shows in many
// places — aligned tables, container ids, published ports, relative times and
// durations, sizes and CPU figures, counted words, stored log lines
// (logline.go), a command's last lines in an error — so that `start`,
// `status`, `logs`, `doctor`, the shim's lines and figures, the figures
// history and `init` show each the same way.
package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Table returns an aligned-table writer on w (columns two spaces apart);
// Flush writes it.
func Table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// ShortID is the 12-character container id `docker ps` shows.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Port is a published port as `docker ps` shows it, HOST:PUBLISHED->TARGET/PROTO,
// with compose's defaults for an empty host (all interfaces) or protocol (tcp).
func Port(host, published string, target uint32, proto string) string {
	if host == "" {
		host = "0.0.0.0"
	}
	if proto == "" {
		proto = "tcp"
	}
	return fmt.Sprintf("%s:%s->%d/%s", host, published, target, proto)
}

// Ago is t relative to now in words ("5m ago"); "-" for no time.
func Ago(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	return Seconds(int64(now.Sub(*t).Seconds())) + " ago"
}

// Seconds is a duration of s seconds in compact words: 42s, 5m, 3h7m, 2d4h.
func Seconds(s int64) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 86400:
		return fmt.Sprintf("%dh%dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
}

// Bytes is a size in binary units, one decimal: 512B, 12.3MiB, 1.0GiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f%ciB", v, "KMGT"[i])
}

// Percent is a CPU figure, one decimal, its sign after sep: "2.9%" in a
// table (sep ""), "2.9 %" where there is room (PM2's metrics, sep " ").
func Percent(p float64, sep string) string { return strconv.FormatFloat(p, 'f', 1, 64) + sep + "%" }

// Memory is memory used, with its limit after sep when there is one:
// "30.4MiB/64.0MiB" (sep "/"), "30.4MiB / 64.0MiB" (sep " / ").
func Memory(used, limit int64, sep string) string {
	if limit > 0 {
		return Bytes(used) + sep + Bytes(limit)
	}
	return Bytes(used)
}

// Round2 is a CPU figure as pm2dock stores it (the state file's figures, the
// figures history): rounded to two decimals, halves up.
func Round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// Plural is one for a count of 1, else many: "1 service", "2 services".
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// LastLines returns the last n non-empty lines of s (a command's output),
// each trimmed, joined by " | ": an error's one-line account of what a
// command printed.
func LastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
