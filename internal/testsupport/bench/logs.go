package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

var logBytes = int64(1 << 30) // the store size of the query benchmark (≥ 1 GB, 24 h)

// benchLogQuery writes the same 24 h of lines (≥ 1 GB) to pm2dock's store and
// to a stopped container's json-file log, then asks both for one hour from the
// middle.
func benchLogQuery(w *workspace) ([]row, error) {
	const svc = "svc9"
	id, logPath, err := w.quietContainer()
	if err != nil {
		return nil, err
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	n, err := writeBoth(filepath.Join(w.dir, ".pm2dock", "logs"), svc, logPath, start, logBytes)
	if err != nil {
		return nil, err
	}
	// Both sides read from the page cache; the 2 GB just written must not be
	// flushing to disk under the first timed runs.
	if _, _, err := w.run("sync"); err != nil {
		return nil, err
	}
	since, until := start.Add(12*time.Hour).Format(time.RFC3339), start.Add(13*time.Hour).Format(time.RFC3339)
	var ours, base, first []time.Duration
	for i := 0; i < 3; i++ {
		d, out, err := w.runToFile(w.bin, "logs", svc, "--since", since, "--until", until)
		if err != nil {
			return nil, err
		}
		ours = append(ours, d)
		db, bout, err := w.runToFile("docker", "logs", "--since", since, "--until", until, id)
		if err != nil {
			return nil, err
		}
		base = append(base, db)
		if i == 0 && out != bout {
			return nil, fmt.Errorf("pm2dock returned %d lines, docker logs %d", out, bout)
		}
		f, err := w.firstLine(w.bin, "logs", svc, "--since", since, "--until", until)
		if err != nil {
			return nil, err
		}
		first = append(first, f)
	}
	mo, mb := median(ours), median(base)
	note := fmt.Sprintf("1 h of 24 h, %.2f GB, %d lines; median of 3", float64(logBytes)/1e9, n)
	rows := []row{
		{name: "logs: 1 h window", ours: ms(mo), base: ms(mb) + " (docker logs)", ratio: fmt.Sprintf("%.3f", float64(mo)/float64(mb)), note: note + "; goal ≤ 0.05"},
		{name: "logs: first line", ours: ms(median(first)), base: "-", ratio: "-", note: "goal ≤ 20 ms"},
	}
	raw, err := w.rawWindow(filepath.Join(w.dir, ".pm2dock", "logs", svc), start.Add(12*time.Hour), start.Add(13*time.Hour), mo)
	if err != nil {
		return nil, err
	}
	grep, err := w.grepRow(svc, logPath)
	if err != nil {
		return nil, err
	}
	return append(rows, raw, grep), nil
}

// rawWindow is the window's limit row: the same query against a raw
// sequential read of the bytes of the store that hold the window (found by
// an untimed scan), copied to a file by dd, the floor of any reader.
func (w *workspace) rawWindow(folder string, since, until time.Time, ours time.Duration) (row, error) {
	names, err := filepath.Glob(filepath.Join(folder, "*.jsonl"))
	if err != nil || len(names) == 0 {
		return row{}, fmt.Errorf("no segments in %s: %v", folder, err)
	}
	type span struct {
		name     string
		off, end int64
	}
	var spans []span
	var total int64
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return row{}, err
		}
		r := bufio.NewReaderSize(f, 1<<20)
		sp := span{name: name, off: -1}
		var pos int64
		for {
			line, err := r.ReadSlice('\n')
			if len(line) > 7+30 && sp.end == 0 {
				ts, perr := time.Parse(time.RFC3339Nano, string(line[7:37]))
				if perr == nil && !ts.Before(since) && sp.off < 0 && ts.Before(until) {
					sp.off = pos
				}
				if perr == nil && !ts.Before(until) && sp.off >= 0 {
					sp.end = pos
				}
			}
			pos += int64(len(line))
			if err != nil {
				break
			}
		}
		f.Close()
		if sp.off >= 0 {
			if sp.end == 0 {
				sp.end = pos
			}
			spans = append(spans, sp)
			total += sp.end - sp.off
		}
	}
	out, err := os.CreateTemp("", "pm2dock-bench-raw-*")
	if err != nil {
		return row{}, err
	}
	out.Close()
	defer os.Remove(out.Name())
	var ds []time.Duration
	for range 3 {
		var d time.Duration
		for i, sp := range spans {
			if i == 0 {
				os.Truncate(out.Name(), 0)
			}
			di, _, err := w.run("dd", "if="+sp.name, "of="+out.Name(), "bs=1M", "iflag=skip_bytes,count_bytes", "oflag=append", "conv=notrunc",
				fmt.Sprintf("skip=%d", sp.off), fmt.Sprintf("count=%d", sp.end-sp.off), "status=none")
			if err != nil {
				return row{}, err
			}
			d += di
		}
		ds = append(ds, d)
	}
	md := median(ds)
	return row{name: "logs: 1 h window vs raw", ours: ms(ours), base: ms(md) + " (dd of its bytes)",
		ratio: fmt.Sprintf("%.2f", float64(ours)/float64(md)),
		note:  fmt.Sprintf("%.1f MB in %d segment(s); median of 3; goal ≤ 2", float64(total)/1e6, len(spans))}, nil
}

// grepRow searches the whole 24 h store for a regular expression against
// grep -E over docker's json-file log of the same lines; both must find the
// same lines.
func (w *workspace) grepRow(svc, jsonLog string) (row, error) {
	const re = `seq=1234[0-9]7`
	var ours, base []time.Duration
	for i := range 3 {
		d, n, err := w.runToFile(w.bin, "logs", svc, "--grep", re)
		if err != nil {
			return row{}, err
		}
		ours = append(ours, d)
		db, nb, err := w.runToFile("grep", "-E", re, jsonLog)
		if err != nil {
			return row{}, err
		}
		base = append(base, db)
		if i == 0 && (n != nb || n == 0) {
			return row{}, fmt.Errorf("logs --grep found %d lines, grep -E %d", n, nb)
		}
	}
	mo, mb := median(ours), median(base)
	return row{name: "logs --grep, 24 h", ours: ms(mo), base: ms(mb) + " (grep -E json-file)",
		ratio: fmt.Sprintf("%.2f", float64(mo)/float64(mb)), note: fmt.Sprintf("%s over the whole store; median of 3", re)}, nil
}

// quietContainer creates (and stops) a container whose json-file log the
// benchmark replaces.
func (w *workspace) quietContainer() (id, logPath string, err error) {
	_, out, err := w.run("docker", "run", "-d", "--log-driver", "json-file", "--label", "com.docker.compose.project="+w.project, fixImg)
	if err != nil {
		return "", "", err
	}
	id = strings.TrimSpace(string(out))
	if _, _, err := w.run("docker", "stop", "-t", "0", id); err != nil {
		return "", "", err
	}
	_, out, err = w.run("docker", "inspect", "--format", "{{.LogPath}}", id)
	if err != nil {
		return "", "", err
	}
	return id, strings.TrimSpace(string(out)), nil
}

// writeBoth writes lines evenly over 24 h from start until size bytes of
// store, in both formats (jsonLog "": the store only).
func writeBoth(dir, svc, jsonLog string, start time.Time, size int64) (int, error) {
	wr, err := logstore.OpenWriter(dir, svc, logstore.WriterOptions{FlushInterval: -1})
	if err != nil {
		return 0, err
	}
	var jout io.Writer = io.Discard
	if jsonLog != "" {
		jf, err := os.Create(jsonLog)
		if err != nil {
			return 0, err
		}
		defer jf.Close()
		jout = jf
	}
	jb := bufio.NewWriterSize(jout, 1<<20)
	msg := []byte("2026-11-01 00:00:00.000 UTC [42] LOG:  checkpoint complete: wrote 1234 buffers (7.5%); 0 WAL file(s) added, 0 removed, 1 recycled; write=0.1 s")
	const perLine = 240 // bytes of a stored record, about
	lines := int(size / perLine)
	step := 24 * time.Hour / time.Duration(lines)
	var written int64
	var jline []byte
	for i := 0; written < size; i++ {
		ts := start.Add(time.Duration(i) * step)
		m := strconv.AppendInt(append(msg[:len(msg):len(msg)], " seq="...), int64(i), 10)
		if err := wr.Append(logstore.Record{TS: ts, Service: svc, Stream: "stdout", Level: logstore.Classify("stdout", m), Msg: m}); err != nil {
			return i, err
		}
		written += int64(len(m)) + 110
		enc, _ := json.Marshal(string(m) + "\n")
		jline = append(jline[:0], `{"log":`...)
		jline = append(jline, enc...)
		jline = append(jline, `,"stream":"stdout","time":"`...)
		jline = ts.AppendFormat(jline, time.RFC3339Nano)
		jline = append(jline, "\"}\n"...)
		jb.Write(jline)
		if i%100000 == 0 {
			fmt.Fprintf(os.Stderr, "\rbench: writing logs %d MB", written>>20)
		}
		lines = i + 1
	}
	fmt.Fprintln(os.Stderr)
	if err := jb.Flush(); err != nil {
		return lines, err
	}
	return lines, wr.Close()
}

// runToFile times a command whose output goes to a file (the page cache), not
// to this process: reading 36 MB through a pipe into memory cost this side up
// to 350 ms, noise larger than the short side's own time. It returns the
// number of lines written.
func (w *workspace) runToFile(name string, args ...string) (time.Duration, int, error) {
	f, err := os.CreateTemp("", "pm2dock-bench-out-*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = w.dir, w.env()
	cmd.Stdout, cmd.Stderr = f, f
	t0 := time.Now()
	err = cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return d, 0, fmt.Errorf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return d, 0, err
	}
	lines := 0
	buf := make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if err == io.EOF {
			return d, lines, nil
		}
		if err != nil {
			return d, lines, err
		}
	}
}

// firstLine measures the time until the command prints its first line.
func (w *workspace) firstLine(name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = w.dir, w.env()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	r := bufio.NewReader(out)
	if _, err := r.ReadBytes('\n'); err != nil {
		return 0, err
	}
	d := time.Since(t0)
	io.Copy(io.Discard, r)
	return d, cmd.Wait()
}
