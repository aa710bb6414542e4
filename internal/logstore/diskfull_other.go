//go:build !unix && !windows

package logstore

var diskFullErrors []error
