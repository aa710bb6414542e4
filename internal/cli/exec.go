package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/containerexec"
	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// ExecOptions are the inputs of `pm2dock exec`.
type ExecOptions struct {
	Service string
	Cmd     []string
}

// NewCmdExec runs a command in a service's running container.
func NewCmdExec(f *Factory, runF func(*ExecOptions) error) *cobra.Command {
	opts := &ExecOptions{}
	cmd := &cobra.Command{
		Use:   "exec SERVICE -- CMD [ARG...]",
		Short: "Run a command in a service's running container (psql, redis-cli, an admin CLI)",
		Long: `Run CMD with its arguments in the running container of SERVICE, on the engine
pm2dock resolved for the profile (no docker CLI, no compose project to repeat):
pm2dock exec db -- psql -U app -c 'select 1'. With a terminal on stdin and
stdout the command gets a TTY (keys and Ctrl-C reach it as typed, resized with
the window); otherwise stdout and stderr stay apart and stdin is passed when it
is not a terminal. The command runs as given — no shell unless you name one
(pm2dock exec db -- sh -c '…'). pm2dock exits with the command's exit code;
127 when the command does not exist in the container, 6 when the service has
no running container.`,
		Args: func(c *cobra.Command, args []string) error {
			dash := c.ArgsLenAtDash()
			switch {
			case len(args) == 0:
				return exitcode.New(exitcode.Usage, errors.New("exec: name a service and a command"), "pm2dock exec db -- psql -U app")
			case dash < 0 && len(args) > 1 || dash > 1:
				return exitcode.New(exitcode.Usage, fmt.Errorf("exec: put the command after --: pm2dock exec %s -- %s", args[0], strings.Join(args[1:], " ")), "")
			case len(args) < 2:
				return exitcode.New(exitcode.Usage, fmt.Errorf("exec %s: name the command to run after --", args[0]),
					fmt.Sprintf("pm2dock exec %s -- sh   (a shell, if the image has one)", args[0]))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Service, opts.Cmd = args[0], args[1:]
			if runF != nil {
				return runF(opts)
			}
			return execRun(c.Context(), f, opts)
		},
	}
	return cmd
}

func execRun(ctx context.Context, f *Factory, opts *ExecOptions) error {
	p, keys, err := viewTarget(ctx, f, []string{opts.Service})
	if err != nil {
		return err
	}
	key := keys[0]
	svc, _ := p.Service(key)
	e, err := f.Engine(ctx, p)
	if err != nil {
		return err
	}
	defer e.Close()
	cs, err := e.ServiceContainers(ctx, p.Project.Name, svc.Compose)
	if err != nil {
		return err
	}
	c := engine.Running(cs)
	if c == nil {
		return exitcode.New(exitcode.NotHealthy, fmt.Errorf("%s has no running container", key),
			fmt.Sprintf("start it: pm2dock start %s", key))
	}
	o := containerexec.Options{Cmd: opts.Cmd, Stdout: f.IO.Out, Stderr: f.IO.ErrOut}
	tty := f.IO.IsStdinTTY() && f.IO.IsStdoutTTY()
	if tty || !f.IO.IsStdinTTY() { // the terminal, or a pipe or file; not a terminal feeding a redirected command
		o.Stdin = f.IO.In
	}
	restore := execTerminal(f, &o, tty, e.Endpoint.OnThisMachine(), c.ID)
	defer restore()
	code, err := containerexec.Run(ctx, e, c.ID, o)
	switch {
	case errors.Is(err, containerexec.ErrNoCommand):
		return exitcode.New(127, fmt.Errorf("%s: %w", key, err), "name a program the image has (its PATH), or a shell: -- sh -c '…'")
	case err != nil:
		return fmt.Errorf("%s: exec in %s: %w", key, engine.Name(*c), err)
	}
	return exitcode.Passed(code)
}
