package status

import (
	"testing"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/state"
)

func TestDerive(t *testing.T) {
	proc := func(status rpc.Status, pid int) *rpc.Process {
		return &rpc.Process{Name: "db", PID: pid, Env: rpc.Env{Status: status}}
	}
	ctr := func(st, health string) *Container { return &Container{State: st, Health: health} }
	failed := func(code exitcode.Code, pid int) *state.File {
		c := int(code)
		return &state.File{Phase: state.Failed, ExitCode: &c, ShimPID: pid}
	}
	for _, c := range []struct {
		name string
		app  *rpc.Process
		c    *Container
		st   *state.File
		want State
	}{
		{"nothing anywhere", nil, nil, nil, Stopped},
		{"healthy", proc(rpc.Online, 10), ctr("running", "healthy"), nil, Healthy},
		{"no healthcheck", proc(rpc.Online, 10), ctr("running", ""), nil, Running},
		{"health starting", proc(rpc.Online, 10), ctr("running", "starting"), nil, Starting},
		{"unhealthy", proc(rpc.Online, 10), ctr("running", "unhealthy"), nil, Unhealthy},
		{"shim up, no container yet", proc(rpc.Online, 10), nil, nil, Starting},
		{"shim launching", proc(rpc.Launching, 0), ctr("running", "healthy"), nil, Healthy},
		{"a container no shim supervises", proc(rpc.Stopped, 0), ctr("running", "healthy"), nil, Unknown},
		{"PM2 waits to restart", proc(rpc.WaitingRestart, 0), nil, nil, Starting},
		{"PM2 errored", proc(rpc.Errored, 0), nil, nil, Failed},
		{"stopped", proc(rpc.Stopped, 0), ctr("exited", ""), nil, Stopped},
		// The shim's verdict wins over PM2's "waiting restart"…
		{"shim gave up, PM2 says waiting restart", proc(rpc.WaitingRestart, 0), nil, failed(exitcode.PortConflict, 10), Failed},
		{"crash loop", proc(rpc.Stopped, 0), ctr("exited", ""), failed(exitcode.CrashLoop, 10), CrashLoop},
		// …unless PM2 runs a newer shim than the one that gave up.
		{"a newer shim runs", proc(rpc.Online, 11), ctr("running", "healthy"), failed(exitcode.CrashLoop, 10), Healthy},
		{"a job that completed", proc(rpc.Stopped, 0), ctr("exited", ""), &state.File{Phase: state.Completed, ShimPID: 10}, Completed},
		{"a job running again", proc(rpc.Online, 11), ctr("running", ""), &state.File{Phase: state.Completed, ShimPID: 10}, Running},
		{"the shim that gave up is still the one PM2 lists", proc(rpc.Online, 10), ctr("running", "healthy"), failed(exitcode.ImageMissing, 10), Failed},
	} {
		if got := Derive(c.app, c.c, c.st); got != c.want {
			t.Errorf("%s: Derive = %s, want %s", c.name, got, c.want)
		}
	}
}
