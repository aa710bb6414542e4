package cli

import (
	"github.com/spf13/cobra"
)

// NewCmdRestart restarts services gracefully through PM2 and waits until healthy.
func NewCmdRestart(f *Factory, runF func(*StartOptions) error) *cobra.Command {
	return newStartLike(f, runF, true, "restart [SERVICE...]",
		"Restart services gracefully through PM2 and wait until they are healthy",
		`Restart the services (default: all) through PM2: each shim stops its container
with the service's grace period, a new shim starts it again; pm2dock waits until
healthy and prints the new PM2 pid and the container's new start time.`)
}
