package figures

import (
	"context"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/render"
)

// Read returns service's points in [since, until), oldest first, the first
// found by seeking. With buckets > 0 and more points than that, the window
// is cut into buckets equal spans and each span's points fold into one (CPU
// the mean weighted by samples, memory the peak, the time and container of
// its last point): a day is 17 280 points, a graph a few hundred pixels.
func Read(logsDir, service string, since, until time.Time, buckets int) ([]Point, error) {
	it := store.Query(logsDir, logstore.QueryOptions{Services: []string{service}, Since: since, Until: until})
	defer it.Close()
	var pts []Point
	for it.Next() {
		pts = append(pts, it.Fact())
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	if buckets <= 0 || len(pts) <= buckets || !until.After(since) {
		return pts, nil
	}
	return fold(pts, since, until.Sub(since)/time.Duration(buckets)), nil
}

// fold folds pts (time-ordered) into one point per span of width from since.
func fold(pts []Point, since time.Time, width time.Duration) []Point {
	if width <= 0 {
		width = 1
	}
	var out []Point
	var cpu float64
	bucket := int64(-1)
	for _, p := range pts {
		b := int64(p.At.Sub(since) / width)
		if b != bucket || len(out) == 0 {
			if len(out) > 0 {
				last := &out[len(out)-1]
				last.CPUPercent = render.Round2(cpu / float64(last.Samples))
			}
			bucket, cpu = b, 0
			out = append(out, Point{})
		}
		last := &out[len(out)-1]
		cpu += p.CPUPercent * float64(p.Samples)
		last.At, last.Container, last.MemLimitBytes = p.At, p.Container, p.MemLimitBytes
		last.MemBytes = max(last.MemBytes, p.MemBytes)
		last.Samples += p.Samples
	}
	if len(out) > 0 {
		last := &out[len(out)-1]
		last.CPUPercent = render.Round2(cpu / float64(last.Samples))
	}
	return out
}

// Iterator yields points in time order, skipping records that hold none
// (see logstore.FactIterator: Next, Service, Err, Close).
type Iterator struct {
	*logstore.FactIterator[Point]
}

// Follow yields the points of services stored at or after since, and keeps
// yielding new ones until ctx ends, looking each poll (0: 200 ms).
func Follow(ctx context.Context, logsDir string, services []string, since time.Time, poll time.Duration) *Iterator {
	return &Iterator{store.Follow(ctx, logsDir, logstore.QueryOptions{Services: services, Since: since, PollInterval: poll})}
}

// Point is the current point.
func (i *Iterator) Point() Point { return i.Fact() }
