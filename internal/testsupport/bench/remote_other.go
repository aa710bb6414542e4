//go:build !linux

package main

import "errors"

// benchRemote starts a second dockerd (harness.LaunchDockerd), which only Linux has.
func benchRemote(*workspace) ([]row, error) {
	return nil, errors.New("the remote row starts a second dockerd: run it on Linux")
}
