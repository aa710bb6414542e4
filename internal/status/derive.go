package status

import (
	"github.com/moby/moby/api/types/container"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/state"
)

// Derive decides a row's state from the three views; any may be nil.
func Derive(app *rpc.Process, c *Container, st *state.File) State {
	online := app.Live()
	running := c != nil && c.State == string(container.StateRunning)
	newer := online && st != nil && st.ShimPID != app.PID // PM2 runs a shim after the one that wrote st
	if st != nil && st.Phase == state.Completed && !newer && !running {
		return Completed
	}
	// The shim's verdict wins when it gave up: PM2 may say "waiting restart".
	if st != nil && st.Phase == state.Failed && !(online && st.ShimPID != app.PID) {
		if st.Code() == exitcode.CrashLoop {
			return CrashLoop
		}
		return Failed
	}
	switch {
	case online && running:
		switch c.Health {
		case string(container.Healthy):
			return Healthy
		case string(container.Unhealthy):
			return Unhealthy
		case string(container.Starting):
			return Starting
		}
		return Running
	case online:
		return Starting // the shim is preflighting or (re)creating the container
	case running:
		return Unknown // a container no shim supervises
	case app != nil && app.Env.Status == rpc.WaitingRestart:
		return Starting
	case app != nil && app.Env.Status == rpc.Errored:
		return Failed
	}
	return Stopped
}
