package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pm2dock/pm2dock/internal/figures"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/state"
	"github.com/pm2dock/pm2dock/internal/testsupport/browser"
)

// benchDashboard measures the dashboard of the ten running services with a
// day of history behind them (8 640 events and 17 280 figures points a
// service, written before their shims start): the page's own time from
// navigation to its first full render (rows, timelines, graphs), side by
// side with the same browser loading the server's smallest answer (its own
// floor); the time the "last day" window takes to show; and the server's CPU
// with one page open on a steady stack, side by side with `status --watch`
// watching the same sources.
func benchDashboard(w *workspace) ([]row, error) {
	if _, _, err := w.run(w.bin, "stop"); err != nil {
		return nil, err
	}
	logs := filepath.Join(w.dir, ".pm2dock", "logs")
	os.RemoveAll(journal.Dir(logs)) // one history, time-ordered
	os.RemoveAll(figures.Dir(logs))
	now := time.Now().UTC()
	kinds := []journal.Kind{journal.Start, journal.Healthy, journal.Unhealthy, journal.Exit, journal.Restart}
	for i := 0; i < 10; i++ {
		svc := fmt.Sprintf("svc%d", i)
		j := journal.NewWriter(logs, svc, nil)
		for n := 0; n < 24*360; n++ {
			j.Record(journal.Event{TS: now.Add(-24*time.Hour + time.Duration(n)*10*time.Second + time.Duration(i)*time.Millisecond),
				Kind: kinds[n%len(kinds)], By: journal.ByEngine, Reason: "bench"})
		}
		r := figures.NewRecorder(logs, svc, nil)
		for s := 0; s < 24*3600; s++ {
			r.Add(state.Stats{At: now.Add(-24*time.Hour + time.Duration(s)*time.Second), Container: "bench", CPUPercent: float64(s % 50), MemBytes: int64(20<<20 + s%1000)})
		}
		if err := errors.Join(j.Close(), r.Close()); err != nil {
			return nil, err
		}
	}
	if _, _, err := w.run(w.bin, "start"); err != nil {
		return nil, err
	}
	cmd := exec.Command(w.bin, "dashboard")
	cmd.Dir, cmd.Env = w.dir, w.env()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() { cmd.Process.Signal(syscall.SIGINT); cmd.Wait() }()
	url := ""
	for sc := bufio.NewScanner(out); sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "http://") {
			url = sc.Text()
			break
		}
	}
	if url == "" {
		return nil, fmt.Errorf("pm2dock dashboard printed no URL")
	}
	go func() { // keep the pipe drained
		buf := make([]byte, 4096)
		for {
			if _, err := out.Read(buf); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, stop, err := browser.Start(ctx, 1400, 1000)
	if err != nil {
		return nil, err
	}
	defer stop()
	floorURL := strings.Replace(url, "/?token=", "/assets/vendor/uplot/LICENSE?token=", 1)
	ready, day, floor, err := pageLoads(b, url, floorURL)
	if err != nil {
		return nil, err
	}
	mr, mf, md := median(ready), median(floor), median(day)
	rows := []row{{name: "dashboard ready, 10 svc", ours: ms(mr) + " to first render", base: ms(mf) + " (same browser, a static file)",
		ratio: fmt.Sprintf("%.1f", float64(mr)/float64(mf)), note: fmt.Sprintf("a day of history (86 400 events, 172 800 points); median of 5; goal ≤ 300 ms; last day window %s", ms(md))}}

	// CPU over 30 s with the page open (last hour) and nothing changing,
	// side by side with status --watch on the same stack.
	if err := chromedp.Do(b, chromedp.Navigate(url)); err != nil {
		return nil, err
	}
	if _, err := chromedp.Run(b, chromedp.Poll[string](`document.body.dataset.ready`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		return nil, err
	}
	watch := exec.Command(w.bin, "status", "--watch")
	watch.Dir, watch.Env = w.dir, w.env()
	if err := watch.Start(); err != nil {
		return nil, err
	}
	defer func() { watch.Process.Signal(syscall.SIGINT); watch.Wait() }()
	time.Sleep(3 * time.Second)
	d0, s0, t0 := cpuTicks(cmd.Process.Pid), cpuTicks(watch.Process.Pid), time.Now()
	time.Sleep(30 * time.Second)
	d1, s1, el := cpuTicks(cmd.Process.Pid), cpuTicks(watch.Process.Pid), time.Since(t0).Seconds()
	dp, sp := float64(d1-d0)/el, float64(s1-s0)/el // ticks/s = % of a core (100 ticks a second)
	ratio := "-"
	if sp > 0 {
		ratio = fmt.Sprintf("%.2f", dp/sp)
	}
	// What the machine's load costs the page: the same loads with the
	// stack stopped (no healthcheck runs; the history is the same).
	if _, _, err := w.run(w.bin, "stop"); err != nil {
		return nil, err
	}
	idle, _, _, err := pageLoads(b, url, floorURL)
	if err != nil {
		return nil, err
	}
	rows[0].note += fmt.Sprintf("; %s with the stack stopped (its 20 healthchecks a second keep both cores busy)", ms(median(idle)))
	rows = append(rows, row{name: "dashboard CPU, 1 page", ours: fmt.Sprintf("%.2f%% of a core", dp), base: fmt.Sprintf("%.2f%% (status --watch)", sp),
		ratio: ratio, note: "30 s, steady stack of 10; goal ≤ 1 %"})
	return rows, nil
}

// pageLoads loads the page five times after a warm-up (a team's browser runs
// already), each time also showing the last day, and the floor URL as often.
func pageLoads(b context.Context, url, floorURL string) (ready, day, floor []time.Duration, err error) {
	for i := -1; i < 5; i++ { // -1: a warm-up; a team's browser is running already
		if err := chromedp.Do(b, chromedp.Navigate(url)); err != nil {
			return nil, nil, nil, err
		}
		v, err := chromedp.Run(b, chromedp.Poll[string](`document.body.dataset.ready`, chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("page not ready: %w", err)
		}
		if i >= 0 {
			ready = append(ready, msDuration(v))
			marks, _ := chromedp.Run(b, chromedp.Evaluate[string](`['pm2dock-fetched', 'pm2dock-timeline', 'pm2dock-graphs', 'pm2dock-ready'].map(n => n.slice(8) + ' ' + Math.round(performance.getEntriesByName(n)[0].startTime)).join(', ')`))
			fmt.Fprintf(os.Stderr, "bench: dashboard load %d, ms after navigation: %s\n", i+1, marks)
		}
		v, err = chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('.range button[data-range="86400000"]').click(), ''`))
		if err != nil {
			return nil, nil, nil, err
		}
		if v, err = chromedp.Run(b, chromedp.Poll[string](`document.body.dataset.windowMs`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			return nil, nil, nil, fmt.Errorf("last day window not shown: %w", err)
		}
		if i >= 0 {
			day = append(day, msDuration(v))
		}
		if err := chromedp.Do(b, chromedp.Navigate(floorURL)); err != nil {
			return nil, nil, nil, err
		}
		v, err = chromedp.Run(b, chromedp.Evaluate[string](`String(performance.getEntriesByType('navigation')[0].responseEnd)`))
		if err != nil {
			return nil, nil, nil, err
		}
		if i >= 0 {
			floor = append(floor, msDuration(v))
		}
	}
	return ready, day, floor, nil
}

func msDuration(v string) time.Duration {
	var f float64
	fmt.Sscan(v, &f)
	return time.Duration(f * float64(time.Millisecond))
}
