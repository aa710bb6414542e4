//go:build !unix

package alert

import "os/exec"

func detach(*exec.Cmd) {}
