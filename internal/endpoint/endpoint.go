package endpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	dcontext "github.com/docker/cli/cli/context"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	dopts "github.com/docker/cli/opts"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// DefaultContext is the name of the context made of DOCKER_HOST and its TLS
// variables, as in the docker CLI.
const DefaultContext = "default"

// Endpoint is the resolved engine: where it is and how it was chosen.
type Endpoint struct {
	Context string // DefaultContext or the name of a context in the store
	Host    string // unix:///var/run/docker.sock, tcp://…, ssh://…
	TLS     string // "" (none), "tls" (encrypted, server not verified) or "tls-verify"
	Chosen  string // how: "DOCKER_HOST", "DOCKER_CONTEXT", "engine.context in FILE", …
	Warning string // what the docker CLI would warn about while resolving, if anything
	ep      docker.Endpoint
	headers map[string]string // config.json's HttpHeaders
	env     []string          // the variables Environ sets (KEY=VALUE), in order
	drop    []string          // the variables Environ removes
}

// Source is what a resolution reads.
type Source struct {
	Env         []string // the process environment, KEY=VALUE; a later entry wins
	Context     string   // engine.context of the profile; "" when not pinned
	ContextFrom string   // where Context was set, for messages ("/x/pm2dock.yaml")
}

// tlsVars are the default context's TLS settings (docker/cli cli/flags).
var tlsVars = []string{"DOCKER_TLS", client.EnvTLSVerify, client.EnvOverrideCertPath}

// Resolve chooses the endpoint as the docker CLI would (see the package doc).
func Resolve(src Source) (Endpoint, error) {
	getenv := lookup(src.Env)
	cfgDir := getenv("DOCKER_CONFIG")
	if cfgDir == "" {
		home := getenv("HOME")
		if home == "" { // cron, env -i: the CLI asks the user database (homedir.Get)
			if u, err := user.Current(); err == nil {
				home = u.HomeDir
			}
		}
		cfgDir = filepath.Join(home, ".docker")
	}
	cfg, warn := readConfig(cfgDir)
	e := Endpoint{Warning: warn, headers: cfg.HTTPHeaders}
	name := ""
	switch {
	case src.Context != "":
		name, e.Chosen = src.Context, "engine.context in "+orDefault(src.ContextFrom, "pm2dock.yaml")
	case getenv(client.EnvOverrideHost) != "":
		name, e.Chosen = DefaultContext, client.EnvOverrideHost
	case getenv("DOCKER_CONTEXT") != "":
		name, e.Chosen = getenv("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
	default:
		if cfg.CurrentContext != "" {
			name, e.Chosen = cfg.CurrentContext, "currentContext in "+filepath.Join(cfgDir, "config.json")
		} else {
			name, e.Chosen = DefaultContext, "default (no DOCKER_HOST, DOCKER_CONTEXT or current context)"
		}
	}
	e.Context = name
	var err error
	if name == DefaultContext {
		e.ep, err = defaultEndpoint(getenv, cfgDir)
		e.env = []string{"DOCKER_CONTEXT=" + DefaultContext}
	} else {
		e.ep, err = namedEndpoint(cfgDir, name)
		e.env = []string{"DOCKER_CONTEXT=" + name}
		e.drop = append([]string{client.EnvOverrideHost}, tlsVars...)
	}
	if err != nil {
		return Endpoint{}, exitcode.New(exitcode.Usage, fmt.Errorf("docker engine (context %q, from %s): %w", name, e.Chosen, err),
			"`docker context ls` lists the contexts; fix or unset what chose this one")
	}
	e.Host = e.ep.Host
	switch {
	case e.ep.TLSData == nil && !e.ep.SkipTLSVerify || isSocket(e.Host) || strings.HasPrefix(e.Host, "ssh://"): // ssh: the helper ignores TLS
	case e.ep.SkipTLSVerify:
		e.TLS = "tls"
	default:
		e.TLS = "tls-verify"
	}
	return e, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// lookup returns a getenv over env in which a later entry wins.
func lookup(env []string) func(string) string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// cliConfig is what pm2dock reads of the docker CLI's config.json.
type cliConfig struct {
	CurrentContext string            `json:"currentContext"`
	HTTPHeaders    map[string]string `json:"HttpHeaders"` // sent with every request, by the CLI and so compose
}

// readConfig reads config.json once. A file that does not exist is an empty
// config; one that cannot be read or parsed is a warning and an empty config,
// as in the docker CLI.
func readConfig(cfgDir string) (cfg cliConfig, warning string) {
	path := filepath.Join(cfgDir, "config.json")
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cliConfig{}, ""
	}
	if err != nil {
		return cliConfig{}, fmt.Sprintf("cannot read %s: %v; its currentContext is not used", path, err)
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cliConfig{}, fmt.Sprintf("%s is not valid JSON (%v); its currentContext is not used", path, err)
	}
	return cfg, ""
}

// defaultEndpoint is docker/cli's resolveDefaultDockerEndpoint with the flag
// defaults its cli/flags package takes from the environment.
func defaultEndpoint(getenv func(string) string, cfgDir string) (docker.Endpoint, error) {
	verify := getenv(client.EnvTLSVerify) != ""
	useTLS := verify || getenv("DOCKER_TLS") != ""
	host, err := dopts.ParseHost(useTLS, getenv(client.EnvOverrideHost))
	if err != nil {
		return docker.Endpoint{}, fmt.Errorf("DOCKER_HOST: %w", err)
	}
	ep := docker.Endpoint{EndpointMeta: docker.EndpointMeta{Host: host}}
	if !useTLS {
		return ep, nil
	}
	certPath := getenv(client.EnvOverrideCertPath)
	if certPath == "" {
		certPath = cfgDir
	}
	ca, cert, key := filepath.Join(certPath, "ca.pem"), filepath.Join(certPath, "cert.pem"), filepath.Join(certPath, "key.pem")
	if _, err := os.Stat(cert); errors.Is(err, os.ErrNotExist) {
		cert = ""
	}
	if _, err := os.Stat(key); errors.Is(err, os.ErrNotExist) {
		key = ""
	}
	ep.SkipTLSVerify = !verify
	if ep.TLSData, err = dcontext.TLSDataFromFiles(ca, cert, key); err != nil {
		return docker.Endpoint{}, fmt.Errorf("TLS material (DOCKER_CERT_PATH %s): %w", certPath, err)
	}
	return ep, nil
}

// contextMeta is a context's own metadata; only its docker endpoint matters here.
type contextMeta struct {
	Description string `json:",omitempty"`
}

func storeConfig() store.Config {
	return store.NewConfig(func() any { return &contextMeta{} },
		store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }))
}

// namedEndpoint is docker/cli's resolveDockerEndpoint.
func namedEndpoint(cfgDir, name string) (docker.Endpoint, error) {
	if err := store.ValidateContextName(name); err != nil {
		return docker.Endpoint{}, err
	}
	s := store.New(filepath.Join(cfgDir, "contexts"), storeConfig())
	meta, err := s.GetMetadata(name)
	if cerrdefs.IsNotFound(err) {
		return docker.Endpoint{}, fmt.Errorf("no such context in %s: %w", filepath.Join(cfgDir, "contexts"), err)
	}
	if err != nil {
		return docker.Endpoint{}, fmt.Errorf("read the context from %s: %w", filepath.Join(cfgDir, "contexts"), err)
	}
	em, err := docker.EndpointFromContext(meta)
	if err != nil {
		return docker.Endpoint{}, err
	}
	return docker.WithTLSData(s, name, em)
}

// ClientOpts configures an Engine API client for e: host, TLS, and for ssh://
// the docker CLI's connection helper. DOCKER_API_VERSION is honoured as in the CLI.
func (e Endpoint) ClientOpts() ([]client.Opt, error) {
	opts, err := e.ep.ClientOpts()
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("docker engine %s (context %q, from %s): %w", e.Host, e.Context, e.Chosen, err),
			"fix the endpoint or its TLS material (`docker context inspect` shows it)")
	}
	if len(e.headers) > 0 {
		opts = append(opts, client.WithHTTPHeaders(e.headers))
	}
	return opts, nil
}

// Environ returns env rewritten so that a docker or compose CLI run with it
// resolves e (see the package doc). env itself is not changed.
func (e Endpoint) Environ(env []string) []string {
	out := make([]string, 0, len(env)+len(e.env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "DOCKER_CONTEXT" || slices.Contains(e.drop, k) {
			continue
		}
		out = append(out, kv)
	}
	return append(out, e.env...)
}

// OnThisMachine reports whether a port bound on this machine is a port the
// engine publishes on (see the package doc).
func (e Endpoint) OnThisMachine() bool {
	if isSocket(e.Host) {
		return true
	}
	u, err := url.Parse(e.Host)
	if err != nil || u.Scheme != "tcp" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// String is the endpoint as doctor and status -v show it:
// "tcp://10.0.0.5:2376 (tls-verify) — context prod, from DOCKER_CONTEXT".
func (e Endpoint) String() string {
	s := e.Host
	if e.TLS != "" {
		s += " (" + e.TLS + ")"
	}
	return s + " — context " + e.Context + ", from " + e.Chosen
}

func isSocket(host string) bool {
	switch proto, _, _ := strings.Cut(host, "://"); proto {
	case "unix", "npipe", "fd":
		return true
	}
	return false
}
