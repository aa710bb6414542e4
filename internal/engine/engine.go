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

	"github.com/pm2dock/pm2dock/internal/endpoint"
	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// Engine is a connected Engine API client.
type Engine struct {
	*client.Client
	Endpoint endpoint.Endpoint // what it was reached through
}

// Info is what doctor and status report about the engine.
type Info struct {
	Host          string `json:"host"`
	Context       string `json:"context"` // the docker context it was reached through
	Chosen        string `json:"chosen"`  // how that context was chosen (package endpoint)
	ServerVersion string `json:"server_version"`
	APIVersion    string `json:"api_version"`
	OS            string `json:"os"`
}

// Connect opens a client for ep and checks that the engine answers within
// timeout. The error carries exit code 7 when it does not answer, 2 when ep
// cannot be configured.
func Connect(ctx context.Context, ep endpoint.Endpoint, timeout time.Duration) (*Engine, Info, error) {
	opts, err := ep.ClientOpts()
	if err != nil {
		return nil, Info{}, err
	}
	c, err := client.New(opts...)
	if err != nil {
		return nil, Info{}, exitcode.New(exitcode.Usage,
			fmt.Errorf("configure Docker client for %s: %w", ep, err), "check DOCKER_HOST, DOCKER_CONTEXT and engine.context")
	}
	info := Info{Host: ep.Host, Context: ep.Context, Chosen: ep.Chosen}
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
	return &Engine{Client: c, Endpoint: ep}, info, nil
}

// Unreachable is the exit-7 error for an engine that does not answer at host.
func Unreachable(host string, err error) error {
	return exitcode.New(exitcode.EngineDown,
		fmt.Errorf("Docker engine at %s does not answer: %w", host, err),
		"start Docker (Linux: `sudo systemctl start docker` or `make provision`; macOS: open Docker Desktop), or point DOCKER_HOST at a running engine")
}

// IsNotFound reports whether err says a container or image does not exist.
func IsNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
