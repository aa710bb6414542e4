package status

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/pm2dock/pm2dock/internal/render"
)

// JSON writes the rows as the array of docs/contracts.md#status-json.
func JSON(w io.Writer, rows []Row) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if rows == nil {
		rows = []Row{}
	}
	return enc.Encode(rows)
}

var columns = []string{"NAME", "STATE", "PM2", "PID", "CONTAINER", "HEALTH", "UPTIME", "RESTARTS", "LAST RESTART", "PORTS", "CPU", "MEM"}

// Table writes an aligned table with relative times, and each last failure on
// a line of its own under its service. Only the rows are aligned: a note
// under a row is as long as it needs to be and moves no column.
func Table(w io.Writer, rows []Row, now time.Time) error {
	var aligned bytes.Buffer
	tw := render.Table(&aligned)
	fmt.Fprintln(tw, strings.Join(columns, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(cells(r, func(t *time.Time) string { return render.Ago(t, now) }, render.Seconds), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(aligned.String(), "\n")
	var out strings.Builder
	out.WriteString(lines[0])
	for i, r := range rows {
		out.WriteString(lines[i+1])
		for _, note := range notes(r, now) {
			out.WriteString("  └ " + note + "\n")
		}
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// notes are the lines shown under a row: a job's completion, the last
// failure, the log store's error.
func notes(r Row, now time.Time) []string {
	var n []string
	if c := r.Completed; c != nil {
		n = append(n, fmt.Sprintf("completed %s, after running %s", render.Ago(&c.At, now),
			time.Duration(c.RanS*float64(time.Second)).Round(10*time.Millisecond)))
	}
	if f := r.LastFailure; f != nil {
		n = append(n, fmt.Sprintf("last failure %s: %s", render.Ago(&f.At, now), f.Reason))
	}
	if r.StoreError != "" {
		n = append(n, "log store: "+r.StoreError)
	}
	return n
}

// Lines writes stable tab-separated lines for scripts: a header, then one line
// per service with RFC 3339 times and seconds; the last failure is a last field.
func Lines(w io.Writer, rows []Row) error {
	fmt.Fprintln(w, strings.Join(append(columns, "LAST FAILURE"), "\t"))
	for _, r := range rows {
		c := cells(r, func(t *time.Time) string {
			if t == nil {
				return "-"
			}
			return t.UTC().Format(time.RFC3339)
		}, func(s int64) string { return strconv.FormatInt(s, 10) })
		fail := "-"
		if r.LastFailure != nil {
			fail = strings.ReplaceAll(r.LastFailure.Reason, "\t", " ")
		}
		if _, err := fmt.Fprintln(w, strings.Join(append(c, fail), "\t")); err != nil {
			return err
		}
	}
	return nil
}

func cells(r Row, when func(*time.Time) string, dur func(int64) string) []string {
	pid, cid, health, uptime, ports := "-", "-", "-", "-", "-"
	if r.PM2.PID > 0 {
		pid = strconv.Itoa(r.PM2.PID)
	}
	if c := r.Container; c != nil {
		cid = render.ShortID(c.ID)
		if c.Health != "" {
			health = c.Health
		}
		if c.State == string(container.StateRunning) {
			uptime = dur(c.UptimeS)
		} else {
			health = c.State
		}
		if len(c.Ports) > 0 {
			ports = strings.Join(c.Ports, ",")
		}
	}
	cpu, mem := "-", "-"
	if c := r.Container; c != nil && c.CPUPercent != nil {
		cpu, mem = render.Percent(*c.CPUPercent, ""), render.Memory(*c.MemBytes, *c.MemLimitBytes, "/")
	}
	return []string{r.Name.String(), string(r.State), r.PM2.Status, pid, cid, health, uptime,
		strconv.Itoa(r.PM2.Restarts), when(r.PM2.LastStart), ports, cpu, mem}
}
