// Package engine connects to the Docker Engine API with the official Go client,
// negotiating the API version down (at least 1.41 must work: docs/architecture.md#compose-and-the-engine-api).
// Lifecycle changes go through the compose CLI (package compose); this package
// only observes and stops.
package engine

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// Engine is a connected Engine API client.
type Engine struct {
	*client.Client
}

// Info is what doctor and status report about the engine.
type Info struct {
	Host          string `json:"host"`
	ServerVersion string `json:"server_version"`
	APIVersion    string `json:"api_version"`
	OS            string `json:"os"`
}

// Connect reads DOCKER_HOST & co. from the environment and checks that the
// engine answers within timeout. The error carries exit code 7.
func Connect(ctx context.Context, timeout time.Duration) (*Engine, Info, error) {
	c, err := client.New(client.FromEnv)
	if err != nil {
		return nil, Info{}, exitcode.New(exitcode.EngineDown,
			fmt.Errorf("configure Docker client: %w", err), "check DOCKER_HOST")
	}
	info := Info{Host: c.DaemonHost()}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := c.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		c.Close()
		return nil, info, Unreachable(info.Host, err)
	}
	v, err := c.ServerVersion(pctx, client.ServerVersionOptions{})
	if err != nil {
		c.Close()
		return nil, info, Unreachable(info.Host, err)
	}
	info.ServerVersion, info.APIVersion, info.OS = v.Version, c.ClientVersion(), v.Os
	return &Engine{Client: c}, info, nil
}

// Unreachable is the exit-7 error for an engine that does not answer at host.
func Unreachable(host string, err error) error {
	return exitcode.New(exitcode.EngineDown,
		fmt.Errorf("Docker engine at %s does not answer: %w", host, err),
		"start Docker (Linux: `sudo systemctl start docker` or `make provision`; macOS: open Docker Desktop), or point DOCKER_HOST at a running engine")
}

// IsNotFound reports whether err says a container or image does not exist.
func IsNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
