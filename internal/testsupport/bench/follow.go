package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// benchFollow measures `logs --follow` latency: from the engine's timestamp
// of a line to its arrival at the reader, for a container writing 20 lines a
// second, against `docker logs -f` of the same container read side by side.
// Both readers get the same lines (sequence numbers); lines already written
// when a reader started are not counted.
func benchFollow(w *workspace) (row, error) {
	const rate, seconds = 20, 20
	saved := w.extra
	w.extra = []string{"COMPOSE_PROFILES=follow", "TICKER_RATE=" + strconv.Itoa(rate)}
	defer func() { w.extra = saved }()
	if _, _, err := w.run(w.bin, "start", "ticker"); err != nil {
		return row{}, err
	}
	defer w.run(w.bin, "stop", "ticker")
	_, id, err := w.run("docker", "compose", "ps", "-q", "ticker")
	if err != nil {
		return row{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), (seconds+2)*time.Second)
	defer cancel()
	from := time.Now().Add(time.Second) // both readers are reading by then
	type result struct {
		lat  map[int]time.Duration
		err  error
		name string
	}
	read := func(name string, parse func(string) (time.Time, int, bool), args ...string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			r := result{lat: map[int]time.Duration{}, name: name}
			defer func() { ch <- r }()
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Dir, cmd.Env = w.dir, w.env()
			out, err := cmd.StdoutPipe()
			if err != nil {
				r.err = err
				return
			}
			if r.err = cmd.Start(); r.err != nil {
				return
			}
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				at := time.Now()
				ts, seq, ok := parse(sc.Text())
				if ok && ts.After(from) {
					r.lat[seq] = at.Sub(ts)
				}
			}
			cmd.Wait()
		}()
		return ch
	}
	seqOf := func(msg string) (int, bool) {
		f := strings.Fields(msg)
		if len(f) == 0 || !strings.HasPrefix(f[0], "seq=") {
			return 0, false
		}
		n, err := strconv.Atoi(f[0][4:])
		return n, err == nil
	}
	ours := read("pm2dock", func(l string) (time.Time, int, bool) {
		var rec struct {
			TS  time.Time `json:"ts"`
			Msg string    `json:"msg"`
		}
		if json.Unmarshal([]byte(l), &rec) != nil {
			return time.Time{}, 0, false
		}
		seq, ok := seqOf(rec.Msg)
		return rec.TS, seq, ok
	}, w.bin, "logs", "ticker", "--follow", "--json", "--since", "1s")
	base := read("docker", func(l string) (time.Time, int, bool) {
		ts, msg, ok := strings.Cut(l, " ")
		t, err := time.Parse(time.RFC3339Nano, ts)
		seq, sok := seqOf(msg)
		return t, seq, ok && err == nil && sok
	}, "docker", "logs", "-f", "--timestamps", "--since", "1s", strings.TrimSpace(string(id)))
	ro, rb := <-ours, <-base
	for _, r := range []result{ro, rb} {
		if r.err != nil {
			return row{}, fmt.Errorf("%s: %v", r.name, r.err)
		}
		if len(r.lat) < rate*(seconds-3) {
			return row{}, fmt.Errorf("follow: %s read %d lines in %d s at %d/s", r.name, len(r.lat), seconds, rate)
		}
	}
	for seq := range rb.lat {
		if _, ok := ro.lat[seq]; !ok && rb.lat[seq] < time.Duration(seconds-2)*time.Second {
			if _, late := ro.lat[seq+rate]; late { // a later line came: this one is lost, not late
				return row{}, fmt.Errorf("follow: seq %d reached docker logs -f, not pm2dock logs --follow", seq)
			}
		}
	}
	po, pb := percentiles(ro.lat), percentiles(rb.lat)
	return row{name: "logs --follow latency", ours: fmt.Sprintf("p95 %s", ms(po[1])), base: fmt.Sprintf("p95 %s (docker logs -f)", ms(pb[1])),
		ratio: fmt.Sprintf("%+.0f ms", float64((po[1]-pb[1]).Microseconds())/1000),
		note: fmt.Sprintf("%d lines at %d/s; median %s / %s, max %s / %s; goal p95 ≤ 50 ms", len(ro.lat), rate,
			ms(po[0]), ms(pb[0]), ms(po[2]), ms(pb[2]))}, nil
}

// percentiles returns the median, p95 and max of lat's values.
func percentiles(lat map[int]time.Duration) [3]time.Duration {
	ds := make([]time.Duration, 0, len(lat))
	for _, d := range lat {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return [3]time.Duration{ds[len(ds)/2], ds[len(ds)*95/100], ds[len(ds)-1]}
}
