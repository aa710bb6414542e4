// Package endpoint chooses the Docker engine pm2dock talks to, exactly as the
// docker CLI (and so the compose plugin) would choose it from the same
// environment, and says how it was chosen. Every command resolves once and uses
// the result twice: for its own Engine API client (ClientOpts) and for every
// compose process it runs (Environ), so the two can never talk to different
// engines.
//
// # Resolution
//
// The docker CLI's resolveContextName (docker/cli cli/command/cli.go), with
// pm2dock.yaml's engine.context in the place of the --context flag:
//
//  1. engine.context in pm2dock.yaml: that context ("default" included)
//  2. DOCKER_HOST set and not empty: the default context
//  3. DOCKER_CONTEXT set and not empty: that context
//  4. currentContext of DOCKER_CONFIG/config.json (DOCKER_CONFIG defaults to
//     ~/.docker): that context
//  5. the default context
//
// The default context's endpoint is DOCKER_HOST (unix:///var/run/docker.sock
// when unset), with TLS when DOCKER_TLS or DOCKER_TLS_VERIFY is set: ca.pem,
// cert.pem and key.pem from DOCKER_CERT_PATH (default DOCKER_CONFIG), a missing
// cert.pem or key.pem dropped, the server verified only with
// DOCKER_TLS_VERIFY. A named context's endpoint and TLS material come from the
// CLI's own context store (DOCKER_CONFIG/contexts), read with its own package.
// An ssh:// host goes through the CLI's connection helper: `ssh -T … HOST
// docker system dial-stdio`, so the machine needs ssh and a key that needs no
// prompt, and the remote side a docker CLI.
//
// # What compose is given
//
// Environ rewrites a process environment so that the compose CLI resolves the
// same endpoint: DOCKER_CONTEXT is set to the resolved context's name; for a
// named context DOCKER_HOST and the TLS variables are removed (DOCKER_HOST would
// win over DOCKER_CONTEXT); for the default context they are kept as they were.
// DOCKER_CONFIG is passed through, so both read the same context store.
//
// # Errors
//
// A context that does not exist, a DOCKER_HOST the CLI would refuse, or TLS
// files that cannot be read exit 2 (exitcode.Usage: a setting to fix, not an
// engine to wait for), naming the variable or file that chose it. A config.json
// that cannot be parsed is, as in the CLI, a warning: its currentContext is
// not used.
//
// # This machine or another
//
// OnThisMachine is true for a unix socket (or npipe, fd) and for tcp:// to a
// loopback address: only then does a bind on this machine tell whether the
// engine can publish a port. An ssh:// endpoint is taken as another machine
// even at a loopback address (the ssh hop may land anywhere), as is any other
// tcp address. A tcp:// port forwarded to another machine through loopback is
// the one case this gets wrong; such a setup should use ssh:// instead.
package endpoint
