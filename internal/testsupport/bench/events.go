package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pm2dock/pm2dock/internal/journal"
)

// benchEvents writes a day of events for ten services (one transition every
// 10 s each: 8 640 a service, far busier than a real day) into a journal of
// its own, and times the first line of `events --since 24h`, side by side
// with the floor every command pays: starting the binary (`pm2dock version`).
func benchEvents(w *workspace) (row, error) {
	dir := filepath.Join(w.dir, "events-bench")
	prof := filepath.Join(dir, "pm2dock.yaml")
	if err := writeEventsProfile(dir, prof); err != nil {
		return row{}, err
	}
	now := time.Now().UTC()
	kinds := []journal.Kind{journal.Start, journal.Healthy, journal.Unhealthy, journal.Exit, journal.Restart}
	const perService = 24 * 360
	for i := 0; i < 10; i++ {
		j := journal.NewWriter(filepath.Join(dir, "logs"), fmt.Sprintf("svc%d", i), nil)
		for n := 0; n < perService; n++ {
			j.Record(journal.Event{TS: now.Add(-24*time.Hour + time.Duration(n)*10*time.Second + time.Duration(i)*time.Millisecond),
				Kind: kinds[n%len(kinds)], By: journal.ByEngine, Reason: "bench", Output: "probe output of a typical length, a line or so"})
		}
		if err := j.Close(); err != nil {
			return row{}, err
		}
	}
	var ours, base []time.Duration
	for i := 0; i < *sruns; i++ {
		d, err := w.firstLine(w.bin, "-f", prof, "events", "--since", "24h")
		if err != nil {
			return row{}, err
		}
		ours = append(ours, d)
		d, err = w.firstLine(w.bin, "version")
		if err != nil {
			return row{}, err
		}
		base = append(base, d)
	}
	mo, mb := median(ours), median(base)
	return row{name: "events --since 24h, 10", ours: ms(mo) + " first line", base: ms(mb) + " (pm2dock version)",
		ratio: fmt.Sprintf("%.2f", float64(mo)/float64(mb)), note: fmt.Sprintf("86 400 events; median of %d; goal ≤ 20 ms", *sruns)}, nil
}

func writeEventsProfile(dir, prof string) error {
	body := "logs: {dir: logs}\nservices:\n"
	for i := 0; i < 10; i++ {
		body += fmt.Sprintf("  svc%d: {}\n", i)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(prof, []byte(body), 0o644)
}
