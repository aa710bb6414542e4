package figures

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"sync"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/state"
)

// Folder is the history's folder inside a profile's logs.dir.
const Folder = "_figures"

// Dir is the history store of the log store at logsDir.
func Dir(logsDir string) string { return filepath.Join(logsDir, Folder) }

// Period is how many seconds of samples one point folds.
const Period = 5 * time.Second

// SegmentSize is the history's segment size: a day of one service is about
// 2.5 MB, so segments close by day and retention by age removes whole days.
const SegmentSize = 4 << 20

// Point is a container's figures over one period.
type Point struct {
	At            time.Time `json:"-"`
	Container     string    `json:"container"`
	CPUPercent    float64   `json:"cpu_percent"`     // mean, % of one core
	MemBytes      int64     `json:"mem_bytes"`       // peak, used less page cache
	MemLimitBytes int64     `json:"mem_limit_bytes"` // 0: no limit
	Samples       int       `json:"samples"`
}

// Recorder folds one service's samples into points and stores them. A
// history that cannot be written never stops the shim (logstore.Series).
// Safe for concurrent use; a nil *Recorder records nothing.
type Recorder struct {
	s logstore.Series

	mu     sync.Mutex
	cur    Point
	first  time.Time // the current period's first sample
	cpuSum float64
}

// NewRecorder is the recorder of service in the log store at logsDir; report
// is told each new failure and, with nil, the recovery.
func NewRecorder(logsDir, service string, report func(error)) *Recorder {
	return &Recorder{s: logstore.Series{Dir: Dir(logsDir), Service: service, Name: "figures history",
		SegmentSize: SegmentSize, Report: report}}
}

// Add folds one sample in; a sample of another container, or one a Period
// after the period's first, stores the point so far first.
func (r *Recorder) Add(s state.Stats) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur.Samples > 0 && (s.Container != r.cur.Container || s.At.Sub(r.first) >= Period) {
		r.flush()
	}
	if r.cur.Samples == 0 {
		r.first = s.At
		r.cur = Point{Container: s.Container}
	}
	r.cur.At, r.cur.MemLimitBytes = s.At, s.MemLimitBytes
	r.cur.MemBytes = max(r.cur.MemBytes, s.MemBytes)
	r.cpuSum += s.CPUPercent
	r.cur.Samples++
}

// Flush stores the point so far, if it has a sample.
func (r *Recorder) Flush() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flush()
}

func (r *Recorder) flush() {
	if r.cur.Samples == 0 {
		return
	}
	p := r.cur
	p.CPUPercent = round2(r.cpuSum / float64(p.Samples))
	r.cur, r.cpuSum = Point{}, 0
	msg, _ := json.Marshal(p) // plain fields: cannot fail
	r.s.Append(logstore.Record{TS: p.At.UTC(), Stream: logstore.StreamStdout, Level: logstore.LevelInfo, Msg: msg})
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// Prune applies retention to the service's history (see logstore.Prune).
func (r *Recorder) Prune(policy logstore.Policy, now time.Time) error {
	if r == nil {
		return nil
	}
	return r.s.Prune(policy, now)
}

// Close stores the point so far and closes the history.
func (r *Recorder) Close() error {
	if r == nil {
		return nil
	}
	r.Flush()
	return r.s.Close()
}

// fromRecord reads a point back; false when the record holds none.
func fromRecord(rec logstore.Record) (Point, bool) {
	var p Point
	d := json.NewDecoder(bytes.NewReader(rec.Msg))
	d.DisallowUnknownFields()
	if d.Decode(&p) != nil || p.Container == "" || p.Samples <= 0 || p.MemBytes < 0 || p.CPUPercent < 0 {
		return Point{}, false
	}
	p.At = rec.TS
	return p, true
}
