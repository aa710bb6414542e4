// Package compose runs the `docker compose` CLI for the lifecycle steps that must
// keep compose's semantics and the user's credentials: up, pull and build
// (docs/architecture.md#compose-and-the-engine-api). Commands are built as argv, never through a shell, and always name
// the project, its folder, files, profiles and env files explicitly, so the CLI
// resolves exactly the project pm2dock loaded.
package compose

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/pm2dock/pm2dock/internal/profile"
)

// Runner runs compose commands for one profile.
type Runner struct {
	Profile *profile.Profile
	Env     []string // the compose process's environment (KEY=VALUE)
	Docker  string   // the docker CLI; "" means "docker" from PATH
}

// Error is a failed compose command with what it printed.
type Error struct {
	Args   []string
	Err    error
	Output string
}

func (e *Error) Error() string {
	return fmt.Sprintf("docker %s: %v: %s", strings.Join(e.Args, " "), e.Err, LastLines(e.Output, 6))
}

// Unwrap returns the process error.
func (e *Error) Unwrap() error { return e.Err }

// Args returns the global compose flags followed by sub.
func (r *Runner) Args(sub ...string) []string {
	p := r.Profile
	args := []string{"compose", "--project-name", p.Project.Name, "--project-directory", p.Project.WorkingDir}
	for _, f := range p.Project.ComposeFiles {
		args = append(args, "--file", f)
	}
	for _, pr := range p.Project.Profiles { // as resolved: compose.profiles, else COMPOSE_PROFILES (.env too)
		args = append(args, "--profile", pr)
	}
	for _, e := range p.Compose.EnvFiles {
		args = append(args, "--env-file", e)
	}
	return append(args, sub...)
}

// Up creates (or recreates) and starts one service's container without its
// dependencies, without building or pulling: preflight did that.
func (r *Runner) Up(ctx context.Context, service string) error {
	_, err := r.run(ctx, "up", "--detach", "--no-deps", "--no-build", "--pull", "never", "--quiet-pull", service)
	return err
}

// Pull pulls one service's image.
func (r *Runner) Pull(ctx context.Context, service string) error {
	_, err := r.run(ctx, "pull", "--quiet", service)
	return err
}

// Build builds one service's image from its build section.
func (r *Runner) Build(ctx context.Context, service string) error {
	_, err := r.run(ctx, "build", service)
	return err
}

func (r *Runner) run(ctx context.Context, sub ...string) (string, error) {
	docker := r.Docker
	if docker == "" {
		docker = "docker"
	}
	args := r.Args(sub...)
	cmd := exec.CommandContext(ctx, docker, args...)
	cmd.Env = append(r.Env, "COMPOSE_PROGRESS=plain", "COMPOSE_ANSI=never", "DOCKER_BUILDKIT=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), &Error{Args: args, Err: err, Output: out.String()}
	}
	return out.String(), nil
}

// LastLines returns the last n non-empty lines of s joined by " | ".
func LastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
