// Package flock is an advisory, process-lifetime file lock (flock(2) on Unix;
// a no-op where there is none). pm2dock uses two per service and one per project:
//   - <state_dir>/.<service>.lock serialises, across pm2dock processes, the
//     decision to start or stop a service and the PM2 call that carries it out;
//   - <state_dir>/.<service>.shim is held by the shim for its whole life, so
//     two shims never supervise (and write the log store of) one service;
//   - <state_dir>/.compose-up.lock is held by a shim around its `docker
//     compose up` while a network of its service does not exist yet: shims
//     starting together would each create it (the engine allows two networks
//     of one name before API 1.44, and compose then finds the name ambiguous).
package flock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrUnavailable means the lock file can be neither created nor opened (a
// read-only or missing folder): the caller decides whether to go on unlocked.
var ErrUnavailable = errors.New("lock file unavailable")

// Lock takes an exclusive lock on the file at path (created 0644), polling
// every 50 ms until it is free or ctx ends, and returns the function that
// releases it. The lock dies with the process, so a crash never leaves it held.
func Lock(ctx context.Context, path string) (func(), error) {
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		// A read-only folder still locks an existing file: flock needs no write.
		var rerr error
		if f, rerr = os.Open(path); rerr != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, path, err)
		}
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
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

// Held reports whether another process holds the lock at path now. It takes
// the lock for an instant when it is free (a contender polls again 50 ms
// later); a file that does not exist is not held.
func Held(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, err := tryLock(f)
	if ok {
		unlock(f)
	}
	return err == nil && !ok
}
