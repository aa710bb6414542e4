package shim

import (
	"fmt"

	"github.com/moby/moby/api/types/container"

	"github.com/pm2dock/pm2dock/internal/state"
)

// Reason says in words why a container ended.
func Reason(f state.Failure, hc *container.HostConfig, killedBy string) string {
	r := fmt.Sprintf("exited with code %d", f.ExitCode)
	switch {
	case f.OOMKilled:
		r += ": OOM killed"
		if hc != nil && hc.Memory > 0 {
			r += fmt.Sprintf(" (memory limit %s)", mib(hc.Memory))
		}
	case killedBy != "":
		r += ": " + killedBy
	case f.Error != "":
		r += ": " + f.Error
	}
	return r
}

func mib(b int64) string {
	if b%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", b>>20)
	}
	return fmt.Sprintf("%d bytes", b)
}
