package figures

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/state"
)

// Folder is the history's folder inside a profile's logs.dir.
const Folder = "_figures"

// store is the history as the log store it is: points are its facts.
var store = &logstore.Facts[Point]{Folder: Folder, Name: "figures history", SegmentSize: SegmentSize, Decode: fromRecord}

// Dir is the history store of the log store at logsDir.
func Dir(logsDir string) string { return store.Dir(logsDir) }

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
	s *logstore.Series

	mu     sync.Mutex
	cur    Point
	first  time.Time // the current period's first sample
	cpuSum float64
}

// NewRecorder is the recorder of service in the log store at logsDir; report
// is told each new failure and, with nil, the recovery.
func NewRecorder(logsDir, service string, report func(error)) *Recorder {
	return &Recorder{s: store.Series(logsDir, service, report)}
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
	p.CPUPercent = render.Round2(r.cpuSum / float64(p.Samples))
	r.cur, r.cpuSum = Point{}, 0
	msg, _ := json.Marshal(p) // plain fields: cannot fail
	r.s.Append(logstore.Record{TS: p.At.UTC(), Stream: logstore.StreamStdout, Level: logstore.LevelInfo, Msg: msg})
}

// Prune applies retention to the service's history (see logstore.Prune).
func (r *Recorder) Prune(policy logstore.Policy, now time.Time) error {
	return r.series().Prune(policy, now)
}

// Close stores the point so far and closes the history.
func (r *Recorder) Close() error {
	r.Flush()
	return r.series().Close()
}

// series is r's series: nil, which stores nothing, for a nil r.
func (r *Recorder) series() *logstore.Series {
	if r == nil {
		return nil
	}
	return r.s
}

// fromRecord reads a point back; false when the record holds none. The
// form Recorder writes is read without encoding/json (a day of ten services
// is 172 800 points, and json was three quarters of reading them); anything
// else, the same object written another way included, goes through json.
func fromRecord(rec logstore.Record) (Point, bool) {
	p, ok := parseFast(rec.Msg)
	if !ok {
		d := json.NewDecoder(bytes.NewReader(rec.Msg))
		d.DisallowUnknownFields()
		if d.Decode(&p) != nil || len(bytes.TrimSpace(rec.Msg[d.InputOffset():])) > 0 {
			return Point{}, false // nothing may follow the object
		}
	}
	if p.Container == "" || p.Samples <= 0 || p.MemBytes < 0 || p.MemLimitBytes < 0 || p.CPUPercent < 0 {
		return Point{}, false
	}
	p.At = rec.TS
	return p, true
}

// parseFast reads exactly the bytes json.Marshal writes for a Point whose
// container is a plain word (an engine id: hex), or says it did not.
func parseFast(b []byte) (p Point, ok bool) {
	field := func(key string) bool {
		if !bytes.HasPrefix(b, []byte(key)) {
			return false
		}
		b = b[len(key):]
		return true
	}
	num := func(whole bool) (string, bool) {
		n := numberLen(b, whole)
		if n == 0 {
			return "", false
		}
		v := string(b[:n])
		b = b[n:]
		return v, true
	}
	integer := func(dst *int64) bool {
		v, ok := num(true)
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		*dst = n
		return err == nil
	}
	if !field(`{"container":"`) {
		return p, false
	}
	end := bytes.IndexByte(b, '"')
	if end <= 0 {
		return p, false
	}
	for _, c := range b[:end] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return p, false // escapes and the rest: json's job
		}
	}
	p.Container = string(b[:end])
	b = b[end:]
	var samples int64
	if !field(`","cpu_percent":`) {
		return p, false
	}
	v, ok := num(false)
	if !ok {
		return p, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return p, false
	}
	p.CPUPercent = f
	if !field(`,"mem_bytes":`) || !integer(&p.MemBytes) || !field(`,"mem_limit_bytes":`) || !integer(&p.MemLimitBytes) ||
		!field(`,"samples":`) || !integer(&samples) || string(b) != "}" {
		return p, false
	}
	p.Samples = int(samples)
	return p, true
}

// numberLen is the length of the JSON number at the start of b (RFC 8259:
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), 0 if there is none; whole
// allows no fraction or exponent (what json reads into an integer).
func numberLen(b []byte, whole bool) int {
	i := 0
	digits := func() int {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return 0
	}
	if whole {
		if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
			return 0
		}
		return i
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0
		}
	}
	return i
}
