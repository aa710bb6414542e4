//go:build unix

package flock

import (
	"context"
	"path/filepath"
	"testing"
)

func TestHeldSeesAnotherHoldersLockAndLeavesAFreeOneFree(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".db.lock")
	if Held(path) {
		t.Fatal("a lock file that does not exist is held")
	}
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if !Held(path) { // flock(2) conflicts between open files, in one process too
		t.Fatal("a held lock is not seen as held")
	}
	unlock()
	if Held(path) {
		t.Fatal("a released lock is held")
	}
	again, err := Lock(context.Background(), path) // Held left it free
	if err != nil {
		t.Fatal(err)
	}
	again()
}
