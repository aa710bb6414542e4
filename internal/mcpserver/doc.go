// Package mcpserver is `pm2dock mcp`: a Model Context Protocol server on
// stdio (the official Go SDK) that hands coding agents the same status, logs,
// events, wait and controls the commands give people
// (docs/contracts.md#mcp-server).
//
// The tools do no work of their own: each asks a Backend, which package cli
// implements with the very code paths of `status`, `logs`, `events`, `wait`,
// `start`, `restart` and `stop`. What this package adds is what an agent
// needs on top: a JSON schema and a one-line description per tool, answers
// bounded to a byte budget an agent's context can afford (the newest lines
// kept, with a notice saying how many were left out and how to narrow the
// window), errors returned as tool errors carrying the exit code's meaning
// and the hint, and the controls offered only when the server was started
// with --allow-control.
//
// No resources and no prompts: a service's last failure, its reason and its
// last lines are already in the status tool's rows, and an agent that lists
// resources it then has to fetch one by one spends two round trips on what
// one status call answers.
package mcpserver
