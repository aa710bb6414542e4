package status

import (
	"context"
	"time"

	"github.com/pm2dock/pm2dock/internal/changes"
	"github.com/pm2dock/pm2dock/internal/service"
)

// Settle is how long a watch waits after a change before it collects: a
// change rarely comes alone (PM2's event, the engine's, the state file).
const Settle = 50 * time.Millisecond

// Watch collects the rows of keys now, on every change package changes
// signals and at least every interval, and hands each report to show, until
// ctx ends (nil) or show returns an error (that error). It is the one watch
// loop: `status --watch` redraws from it, the dashboard pushes from it.
//
// src.Engine nil means the engine did not answer (engineErr says how): it is
// tried again before each collect and, once it answers, watched too; Watch
// closes the engine it connected. A report's EngineErr is engineErr until then.
func Watch(ctx context.Context, src Sources, keys []service.Key, interval time.Duration, engineErr error, show func(Report) error) error {
	ctx, cancel := context.WithCancel(ctx) // the watchers end with the loop
	defer cancel()
	var changed <-chan struct{}
	stopWatch := func() {}
	watch := func() {
		wctx, c := context.WithCancel(ctx)
		changed = changes.Watch(wctx, changes.Sources{Profile: src.Profile, PM2Home: src.PM2Home, Engine: src.Engine}, keys).Listen().C
		stopWatch = c
	}
	watch()
	for {
		if src.Engine == nil && src.Connect != nil { // an engine that was down may be back
			if e, err := src.Connect(ctx, time.Second); err == nil {
				defer e.Close() // once: src.Engine is set from now on
				src.Engine, engineErr = e, nil
				stopWatch() // and watch its events too
				watch()
			}
		}
		rep := Collect(ctx, src, keys)
		rep.EngineErr = engineErr
		if ctx.Err() != nil {
			return nil
		}
		if err := show(rep); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
			select { // gather the burst into one collect
			case <-ctx.Done():
				return nil
			case <-time.After(Settle):
			}
			select { // the burst's later signals are in this collect
			case <-changed:
			default:
			}
		case <-time.After(interval): // uptimes move
		}
	}
}
