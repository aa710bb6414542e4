// Package compose runs the `docker compose` CLI for the lifecycle steps that must
// keep compose's semantics and the user's credentials: up, pull and build
// (docs/architecture.md#compose-and-the-engine-api). Commands are built as argv, never through a shell, and always name
// the project, its folder, files, profiles and env files explicitly, so the CLI
// resolves exactly the project pm2dock loaded.
package compose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/render"
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
	return fmt.Sprintf("docker %s: %v: %s", strings.Join(e.Args, " "), e.Err, render.LastLines(e.Output, 6))
}

// MissingPlugin is the error for a docker CLI without the compose plugin
// (exit 2, with where to install it).
func MissingPlugin(err error) error {
	return exitcode.New(exitcode.Usage, fmt.Errorf("the docker CLI has no compose plugin in this environment: %w", err),
		"install the compose plugin where the docker CLI looks (DOCKER_CONFIG/cli-plugins, or a system folder such as /usr/local/lib/docker/cli-plugins); `pm2dock doctor` checks it")
}

// PluginMissing reports whether the docker CLI ran without a compose plugin:
// it then reads `compose`'s flags as its own, or says compose is no command.
// A DOCKER_CONFIG whose cli-plugins lacks it is the usual cause.
func (e *Error) PluginMissing() bool {
	return strings.Contains(e.Output, "unknown flag: --project-name") ||
		strings.Contains(e.Output, "'compose' is not a docker command")
}

// Unwrap returns the process error.
func (e *Error) Unwrap() error { return e.Err }

// Args returns the global compose flags followed by sub.
func (r *Runner) Args(sub ...string) []string { return r.args(nil, sub...) }

// args returns the global compose flags, with overrides as the last files
// (they win), followed by sub.
func (r *Runner) args(overrides []string, sub ...string) []string {
	p := r.Profile
	args := []string{"compose", "--project-name", p.Project.Name, "--project-directory", p.Project.WorkingDir}
	for _, f := range append(slices.Clone(p.Project.ComposeFiles), overrides...) {
		args = append(args, "--file", f)
	}
	for _, pr := range p.Project.Profiles { // as resolved: compose.profiles, else COMPOSE_PROFILES (.env too)
		if pr == "" { // COMPOSE_PROFILES set but empty
			continue
		}
		args = append(args, "--profile", pr)
	}
	for _, e := range p.Compose.EnvFiles {
		args = append(args, "--env-file", e)
	}
	return append(args, sub...)
}

// Up creates (or recreates) and starts one service's container without its
// dependencies, without building or pulling: preflight did that. overrides
// are compose files applied over the project's (see NoRestartOverride).
func (r *Runner) Up(ctx context.Context, service string, overrides ...string) error {
	_, err := r.exec(ctx, r.args(overrides, "up", "--detach", "--no-deps", "--no-build", "--pull", "never", "--quiet-pull", service))
	return err
}

// Recreate is Up with --force-recreate: for a container compose would start
// as it is although it names a network that no longer exists (removed by
// `docker network prune` while the container was stopped), which the engine
// then refuses to start.
func (r *Runner) Recreate(ctx context.Context, service string, overrides ...string) error {
	_, err := r.exec(ctx, r.args(overrides, "up", "--detach", "--no-deps", "--no-build", "--pull", "never", "--quiet-pull", "--force-recreate", service))
	return err
}

// NetworkGone reports whether the engine refused to start a container because
// a network it names does not exist any more.
func (e *Error) NetworkGone() bool {
	return strings.Contains(e.Output, "Error response from daemon: network ") && strings.Contains(e.Output, " not found")
}

// NoRestartOverride is a compose file that runs service without an engine
// restart policy (`restart: "no"`, and deploy.restart_policy's condition
// none when deploy is set, since that one wins in compose): pm2dock's restart
// policy is the one supervisor (see profile.Service.EngineRestart). It is
// JSON, which compose reads as YAML, so any service name is quoted right.
func NoRestartOverride(service string, deploy bool) []byte {
	svc := map[string]any{"restart": "no"}
	if deploy {
		svc["deploy"] = map[string]any{"restart_policy": map[string]any{"condition": "none"}}
	}
	raw, _ := json.Marshal(map[string]any{"services": map[string]any{service: svc}})
	return append(raw, '\n')
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
	return r.exec(ctx, r.Args(sub...))
}

func (r *Runner) exec(ctx context.Context, args []string) (string, error) {
	docker := r.Docker
	if docker == "" {
		docker = "docker"
	}
	cmd := exec.CommandContext(ctx, docker, args...)
	cmd.Env = append(r.Env, "COMPOSE_PROGRESS=plain", "COMPOSE_ANSI=never", "DOCKER_BUILDKIT=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), &Error{Args: args, Err: err, Output: out.String()}
	}
	return out.String(), nil
}
