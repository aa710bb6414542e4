package stack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lock serialises, across pm2dock processes, the decision to start or stop one
// service and the PM2 call that carries it out: five concurrent `pm2dock start
// db` must make one PM2 app and one container, not restart each other's shim.
// The lock is held until the new shim has written its first state, so the
// next holder sees it and waits for it instead of starting another.
func lock(ctx context.Context, stateDir, key string) (func(), error) {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(stateDir, "."+key+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", key, err)
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", key, err)
		}
		if ok {
			return func() { unlock(f); f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
