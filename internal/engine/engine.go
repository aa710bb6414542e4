// Package engine connects to the Docker Engine API with the official Go client,
// negotiating the API version down (at least 1.41 must work: docs/architecture.md#compose-and-the-engine-api).
// Creating and starting containers goes through the compose CLI (package
// compose); through this client pm2dock observes, stops, runs `exec`, and
// removes what a `reset` removes.
package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
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
	Kind     string            // KindDocker or KindPodman (docs/engines.md); "" until Identify
	libpod   *http.Client      // Podman's own API on the same connection (RunHealthcheck)
}

// The engines pm2dock tells apart: Podman's Docker-compatible API differs in
// ways the shim handles (docs/engines.md).
const (
	KindDocker = "docker"
	KindPodman = "podman"
)

// Info is what doctor and status report about the engine.
type Info struct {
	Host          string `json:"host"`
	Kind          string `json:"kind"` // KindDocker or KindPodman
	ServerVersion string `json:"server_version"`
	APIVersion    string `json:"api_version"`
	OS            string `json:"os"`
}

// Connect opens a client for ep and checks that the engine answers (a ping,
// negotiating the API version) within timeout. The error carries exit code 7
// when it does not answer, 2 when ep cannot be configured. Info has the
// endpoint and API version; Identify adds the server's version and kind.
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
	info := Info{Host: ep.Host}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := c.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		c.Close()
		return nil, info, Unreachable(info.Host, err)
	}
	info.APIVersion = c.ClientVersion()
	return &Engine{Client: c, Endpoint: ep}, info, nil
}

// Identify asks the engine for its version and tells Docker from Podman (by
// the "Podman Engine" component), setting e.Kind. It is a call of its own
// because dockerd answers /version by asking containerd and runc theirs, ~7 ms
// that status and logs do not need; doctor and the shim ask.
func (e *Engine) Identify(ctx context.Context, timeout time.Duration) (Info, error) {
	info := Info{Host: e.Endpoint.Host, APIVersion: e.ClientVersion()}
	vctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := e.ServerVersion(vctx, client.ServerVersionOptions{})
	if err != nil {
		return info, Unreachable(info.Host, err)
	}
	info.ServerVersion, info.OS, info.Kind = v.Version, v.Os, KindDocker
	for _, comp := range v.Components {
		if comp.Name == "Podman Engine" {
			info.Kind = KindPodman
		}
	}
	e.Kind = info.Kind
	if e.Kind == KindPodman && e.libpod == nil {
		dial := e.Dialer() // the endpoint's own transport: unix, TCP with TLS, or ssh
		e.libpod = &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) }}}
	}
	return info, nil
}

// Close closes the client and the idle connections of Podman's API (over
// ssh, each is an ssh process).
func (e *Engine) Close() error {
	if e.libpod != nil {
		e.libpod.CloseIdleConnections()
	}
	return e.Client.Close()
}

// Unreachable is the exit-7 error for an engine that does not answer at host.
func Unreachable(host string, err error) error {
	return exitcode.New(exitcode.EngineDown,
		fmt.Errorf("Docker engine at %s does not answer: %w", host, err),
		"start Docker (Linux: `sudo systemctl start docker` or `make provision`; macOS: open Docker Desktop), or point DOCKER_HOST at a running engine")
}

// IsNotFound reports whether err says a container or image does not exist.
func IsNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

// RunHealthcheck runs container id's healthcheck once through Podman's own
// API and returns the health it reports. Podman 4 schedules healthchecks with
// systemd timers, so where systemd does not run them (containers, CI, WSL)
// nothing does unless asked (docs/engines.md). Only for KindPodman.
func (e *Engine) RunHealthcheck(ctx context.Context, id string) (string, error) {
	if e.libpod == nil {
		return "", fmt.Errorf("healthcheck run: not a Podman engine")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://podman/v4.0.0/libpod/containers/"+url.PathEscape(id)+"/healthcheck", nil)
	if err != nil {
		return "", err
	}
	resp, err := e.libpod.Do(req)
	if err != nil {
		return "", fmt.Errorf("healthcheck run: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status  string
		Message string `json:"message"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", fmt.Errorf("healthcheck run: HTTP %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("healthcheck run: HTTP %d: %s", resp.StatusCode, body.Message)
	}
	return body.Status, nil
}
