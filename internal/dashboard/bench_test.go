package dashboard

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/figures"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/state"
	"github.com/pm2dock/pm2dock/internal/status"
)

// dayServer is a dashboard of ten services with a busy day of history: an
// event every 10 s and a figures point every 5 s, each.
func dayServer(b *testing.B) (*Server, time.Time) {
	b.Helper()
	dir := b.TempDir()
	compose := "name: dash\nservices:\n"
	for i := range 10 {
		compose += fmt.Sprintf("  svc%d: {image: fixture}\n", i)
	}
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644)
	p, err := profile.Load(context.Background(), profile.Options{Dir: dir, View: true})
	if err != nil {
		b.Fatal(err)
	}
	end := time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC)
	kinds := []journal.Kind{journal.Start, journal.Healthy, journal.Unhealthy, journal.Exit, journal.Restart}
	for i := range 10 {
		svc := fmt.Sprintf("svc%d", i)
		j := journal.NewWriter(p.Logs.Dir, svc, nil)
		r := figures.NewRecorder(p.Logs.Dir, svc, nil)
		for s := 0; s < 24*3600; s++ {
			at := end.Add(-24*time.Hour + time.Duration(s)*time.Second)
			if s%10 == 0 {
				j.Record(journal.Event{TS: at, Kind: kinds[s/10%len(kinds)], By: journal.ByEngine, Reason: "bench"})
			}
			r.Add(state.Stats{At: at, Container: "c", CPUPercent: float64(s % 50), MemBytes: 1 << 20})
		}
		j.Close()
		r.Close()
	}
	return New(Config{Status: status.Sources{Profile: p, Now: func() time.Time { return end }}, Keys: p.Keys()}), end
}

func benchRoute(b *testing.B, target string) {
	s, _ := dayServer(b)
	s.host = hostCheck{port: "80"}
	h := s.Handler()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest("GET", target+"&token="+s.Token(), nil)
		req.Host = "127.0.0.1:80"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}

func BenchmarkEventsHour(b *testing.B)  { benchRoute(b, "/api/events?since=1h") }
func BenchmarkFiguresHour(b *testing.B) { benchRoute(b, "/api/figures?since=1h&buckets=720") }
func BenchmarkFiguresDay(b *testing.B)  { benchRoute(b, "/api/figures?since=24h&buckets=720") }
