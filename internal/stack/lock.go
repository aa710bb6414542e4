package stack

import (
	"context"
	"errors"

	"github.com/pm2dock/pm2dock/internal/flock"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
)

// lock serialises, across pm2dock processes, the decision to start or stop one
// service and the PM2 call that carries it out: five concurrent `pm2dock start
// db` must make one PM2 app and one container, not restart each other's shim.
// startOne holds it until the new shim has written its first state, so the
// next holder sees that shim and waits for it instead of starting another.
// Where the lock file cannot exist (a read-only state folder), commands go on
// unserialised rather than refuse to work.
func lock(ctx context.Context, dir state.Dir, key service.Key) (func(), error) {
	unlock, err := flock.Lock(ctx, dir.StartLock(key))
	if errors.Is(err, flock.ErrUnavailable) {
		return func() {}, nil
	}
	return unlock, err
}
