//go:build unix

package logstore

import "syscall"

var diskFullErrors = []error{syscall.ENOSPC, syscall.EDQUOT}
