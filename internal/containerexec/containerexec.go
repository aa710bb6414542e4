// Package containerexec runs a command in a service's running container
// through the Engine API (exec create, attach, inspect), as `pm2dock exec`
// does: no docker CLI, the engine pm2dock resolved (docs/contracts.md#exec).
//
// With a TTY the local terminal is put in raw mode and the remote one is
// sized to it (and resized on SIGWINCH): keys, Ctrl-C included, reach the
// command as typed. Without one, stdout and stderr stay apart (the engine's
// multiplexed stream, demultiplexed), stdin is copied when given and closed
// at its end, and a signal pm2dock receives is sent on to the command's
// process when the engine runs on this machine (the exec's pid is a host
// pid; the Engine API has no call to signal an exec). The command's exit
// code is returned, never a shell: the command runs as given.
package containerexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// API is the part of the Engine API an exec needs.
type API interface {
	ExecCreate(ctx context.Context, containerID string, options client.ExecCreateOptions) (client.ExecCreateResult, error)
	ExecAttach(ctx context.Context, execID string, options client.ExecAttachOptions) (client.ExecAttachResult, error)
	ExecInspect(ctx context.Context, execID string, options client.ExecInspectOptions) (client.ExecInspectResult, error)
	ExecResize(ctx context.Context, execID string, options client.ExecResizeOptions) (client.ExecResizeResult, error)
}

// Options are an exec's command and streams.
type Options struct {
	Cmd            []string
	TTY            bool
	Stdin          io.Reader // nil: no stdin
	Stdout, Stderr io.Writer
	// Size is the local terminal's size (TTY only); Resized signals a change.
	Size    func() (height, width uint)
	Resized <-chan struct{}
	// Signals are the signals to send on to the command (not TTY); Kill
	// sends one to a host pid (nil: signals are not sent on).
	Signals <-chan syscall.Signal
	Kill    func(pid int, sig syscall.Signal) error
}

// ErrNoCommand is the error when the command does not exist in the
// container (the engine's exit code 126 or 127 with its message; the caller
// exits 127, the shell's code for it).
var ErrNoCommand = errors.New("no such command in the container")

// Run runs o.Cmd in container id and returns its exit code.
func Run(ctx context.Context, api API, id string, o Options) (int, error) {
	create := client.ExecCreateOptions{Cmd: o.Cmd, TTY: o.TTY, AttachStdin: o.Stdin != nil, AttachStdout: true, AttachStderr: true}
	var size client.ConsoleSize
	if o.TTY && o.Size != nil {
		h, w := o.Size()
		size = client.ConsoleSize{Height: h, Width: w}
		create.ConsoleSize = size
	}
	ex, err := api.ExecCreate(ctx, id, create)
	if err != nil {
		return 0, fmt.Errorf("create the exec: %w", err)
	}
	att, err := api.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{TTY: o.TTY, ConsoleSize: size})
	if err != nil {
		return 0, fmt.Errorf("attach to the exec: %w", err)
	}
	defer att.Close()
	if o.Stdin != nil {
		go func() {
			io.Copy(att.Conn, o.Stdin)
			att.CloseWrite() // the command sees the end of its input
		}()
	}
	// One watcher of the side channels, each nil when it does not apply:
	// window resizes (TTY), signals to send on, or — with no way to send
	// one on — an interrupt, which ends the attachment and pm2dock with it.
	var resized <-chan struct{}
	var signals <-chan syscall.Signal
	var interrupted <-chan struct{}
	detachOnInterrupt := !o.TTY && (o.Signals == nil || o.Kill == nil)
	switch {
	case o.TTY:
		resized = o.Resized
	case detachOnInterrupt:
		interrupted = ctx.Done()
	default:
		signals = o.Signals
	}
	stop := make(chan struct{})
	watched := make(chan struct{})
	defer func() { close(stop); <-watched }()
	go func() {
		defer close(watched)
		bg := context.WithoutCancel(ctx)
		for {
			select {
			case <-stop:
				return
			case <-resized:
				h, w := o.Size()
				api.ExecResize(bg, ex.ID, client.ExecResizeOptions{Height: h, Width: w})
			case sig := <-signals:
				if in, err := api.ExecInspect(bg, ex.ID, client.ExecInspectOptions{}); err == nil && in.Running && in.PID > 0 {
					o.Kill(in.PID, sig)
				}
			case <-interrupted:
				att.Close()
				interrupted = nil
			}
		}
	}()
	tail := &lastBytes{max: 512}
	if o.TTY {
		_, err = io.Copy(io.MultiWriter(o.Stdout, tail), att.Reader)
	} else {
		_, err = stdcopy.StdCopy(io.MultiWriter(o.Stdout, tail), io.MultiWriter(o.Stderr, tail), att.Reader)
	}
	if ctx.Err() != nil && detachOnInterrupt {
		return 0, ctx.Err() // detached by an interrupt; the command may still run
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read the exec's output: %w", err)
	}
	code, err := exitCode(ctx, api, ex.ID)
	if err != nil {
		return 0, err
	}
	if (code == 126 || code == 127) && strings.Contains(tail.String(), "executable file not found") {
		return code, fmt.Errorf("%w: %q", ErrNoCommand, o.Cmd[0])
	}
	return code, nil
}

// exitCode waits (briefly: the output has ended) for the exec to end.
func exitCode(ctx context.Context, api API, id string) (int, error) {
	for i := 0; ; i++ {
		in, err := api.ExecInspect(context.WithoutCancel(ctx), id, client.ExecInspectOptions{})
		if err != nil {
			return 0, fmt.Errorf("inspect the exec: %w", err)
		}
		if !in.Running {
			return in.ExitCode, nil
		}
		if i == 200 {
			return 0, fmt.Errorf("the exec's output ended but it still runs after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lastBytes keeps the last max bytes written (for the engine's message when
// the command does not exist).
type lastBytes struct {
	max int
	b   []byte
}

func (l *lastBytes) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if len(l.b) > l.max {
		l.b = l.b[len(l.b)-l.max:]
	}
	return len(p), nil
}

func (l *lastBytes) String() string { return string(l.b) }
