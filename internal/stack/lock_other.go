//go:build !unix

package stack

import "os"

// Without flock, commands are not serialised across processes.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) {}
