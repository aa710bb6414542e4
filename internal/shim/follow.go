package shim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// runBegan is where the lines of the container's latest run begin in its
// engine log: the end of its previous run, or the beginning of the log for a
// first run. Not StartedAt: the engine records that only after the process is
// running, and stamps the process's first lines earlier than it (a 1 MiB first
// line was lost this way under load). When the latest run has ended already
// (FinishedAt after StartedAt: the container exited before the shim looked),
// the previous run's end is gone, and StartedAt less runMargin stands in.
func runBegan(st *container.State) time.Time {
	if st == nil {
		return time.Time{}
	}
	finished, ferr := time.Parse(time.RFC3339Nano, st.FinishedAt)
	started, serr := time.Parse(time.RFC3339Nano, st.StartedAt)
	switch {
	case ferr != nil || finished.Year() <= 1:
		return time.Time{} // never ended: the whole log is this run
	case serr == nil && started.Year() > 1 && !finished.Before(started):
		return started.Add(-runMargin).UTC()
	}
	return finished.UTC()
}

// runMargin is how much earlier than StartedAt a run's lines may be stamped.
const runMargin = time.Second

// followLogs streams the container's lines from since (zero: the whole log)
// until the stream ends; the channel closes then.
func (s *Shim) followLogs(ctx context.Context, id string, since time.Time, tty bool) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true}
		if !since.IsZero() {
			opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
		}
		rc, err := s.Engine.ContainerLogs(ctx, id, opts)
		if err != nil {
			fmt.Fprintf(s.Stderr, "[pm2dock] %s: follow logs: %v\n", s.Service.Key, err)
			return
		}
		defer rc.Close()
		read := demux
		if tty {
			read = raw
		}
		if err := read(rc, s.line); err != nil && ctx.Err() == nil {
			fmt.Fprintf(s.Stderr, "[pm2dock] %s: follow logs: %v\n", s.Service.Key, err)
		}
	}()
	return done
}

var outMu sync.Mutex

// line writes one container line to the shim's stream and the sink.
func (s *Shim) line(ts time.Time, stream string, msg []byte) {
	w := s.Stdout
	if stream == "stderr" {
		w = s.Stderr
	}
	if s.Sink != nil && s.Sink.Line(ts, stream, msg) {
		return
	}
	outMu.Lock()
	w.Write(append(msg, '\n')) // a closed pipe (PM2 gone) must not stop supervision
	outMu.Unlock()
	s.last.add(msg)
}
