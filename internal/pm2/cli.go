package pm2

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
)

// CLI runs the pm2 command line: every change to PM2 goes through it (never a
// mutating RPC). Env is the environment pm2 runs with — scrubbed by the caller,
// because PM2 copies the CLI's environment into the apps it starts.
type CLI struct {
	Bin Binary
	Env []string
}

// Run runs `pm2 args...` and returns its output; the error quotes what pm2 said.
func (c *CLI) Run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.Bin.Path, args...)
	cmd.Env = c.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String() + "\n" + stdout.String())
		return stdout.String(), exitcode.New(exitcode.PM2Missing,
			fmt.Errorf("pm2 %s: %v: %s", strings.Join(args, " "), err, lastLines(msg, 5)),
			"check that PM2 works: `"+c.Bin.Path+" ping`")
	}
	return stdout.String(), nil
}

// Start starts (or restarts, when they exist) the named apps of an ecosystem.
func (c *CLI) Start(ctx context.Context, ecosystem string, names []string) error {
	_, err := c.Run(ctx, "start", ecosystem, "--only", strings.Join(names, ","))
	return err
}

// Stop stops the named apps; an unknown name is not an error (nothing to stop).
func (c *CLI) Stop(ctx context.Context, names ...string) error {
	for _, n := range names {
		if _, err := c.Run(ctx, "stop", n); err != nil && !notFound(err) {
			return err
		}
	}
	return nil
}

// List returns `pm2 jlist`.
func (c *CLI) List(ctx context.Context) ([]rpc.Process, error) {
	out, err := c.Run(ctx, "jlist")
	if err != nil {
		return nil, err
	}
	procs, err := rpc.ParseJlist([]byte(out))
	if err != nil {
		return nil, exitcode.New(exitcode.PM2Missing, fmt.Errorf("pm2 jlist: %w", err), "")
	}
	return procs, nil
}

// Find returns the app called name in namespace ns, or nil.
func Find(procs []rpc.Process, ns, name string) *rpc.Process {
	for i := range procs {
		if procs[i].Name == name && (ns == "" || procs[i].Env.Namespace == ns) {
			return &procs[i]
		}
	}
	return nil
}

func notFound(err error) bool {
	return strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "Process or Namespace")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
