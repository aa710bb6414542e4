package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pm2dock/pm2dock/internal/atomicfile"
	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// MCPServerName is the name pm2dock's MCP server is registered under in the
// agents' config files.
const MCPServerName = "pm2dock"

// MCPConfig is one agent config file RegisterMCP writes: where, the member
// that holds the servers, and the server entry in that file's format.
type MCPConfig struct {
	Path    string // relative to the workspace root
	Servers string // "mcpServers" (.mcp.json) or "servers" (.vscode/mcp.json)
	Entry   Obj
}

// MCPConfigs are the config files `init --mcp` registers the server in, in
// their documented formats: .mcp.json (Claude Code's project servers, read by
// several other agents; started from the project root, so a relative
// command resolves there) and .vscode/mcp.json (VS Code and Copilot, whose
// ${workspaceFolder} names the root). Both launch the workspace's
// node_modules/.bin/pm2dock, so every teammate's checkout runs its own;
// dirArgs point it at the profile's folder when that is not the root.
func MCPConfigs(dirArgs []string) []MCPConfig {
	args := append(append([]any{}, strs(dirArgs)...), "mcp")
	return []MCPConfig{
		{Path: ".mcp.json", Servers: "mcpServers", Entry: Obj{
			{"type", "stdio"}, {"command", "node_modules/.bin/pm2dock"}, {"args", args}}},
		{Path: filepath.Join(".vscode", "mcp.json"), Servers: "servers", Entry: Obj{
			{"type", "stdio"}, {"command", "${workspaceFolder}/node_modules/.bin/pm2dock"}, {"args", args},
			{"cwd", "${workspaceFolder}"}}},
	}
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// MCPResult says what RegisterMCP did to one file.
type MCPResult struct {
	Path string // absolute
	// Done is "created", "added" (to a file that had other servers),
	// "replaced" (with force) or "kept" (a pm2dock entry was there: left as
	// written, a person may have added --allow-control).
	Done string
}

// RegisterMCP adds pm2dock's server to each of configs under root, keeping
// every other byte of a file that exists; an existing pm2dock entry is kept
// unless force. A file that is not a JSON object is an error naming it, and
// nothing is written.
func RegisterMCP(root string, configs []MCPConfig, force bool) ([]MCPResult, error) {
	type plan struct {
		path string
		out  []byte
		done string
	}
	var plans []plan
	for _, c := range configs {
		path := filepath.Join(root, c.Path)
		want := Obj{{c.Servers, Obj{{MCPServerName, c.Entry}}}}
		src, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			plans = append(plans, plan{path, append(Render(want, "", "  "), '\n'), "created"})
			continue
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		root, err := parseJSON(src)
		if err == nil && root.kind != '{' {
			err = fmt.Errorf("line %d: not a JSON object", lineAt(src, root.start))
		}
		var servers *node
		if err == nil {
			if m := root.member(c.Servers); m != nil {
				if servers = m.value; servers.kind != '{' {
					err = fmt.Errorf("line %d: %s is not an object", lineAt(src, servers.start), c.Servers)
				}
			}
		}
		if err != nil {
			return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s: %w", path, err), "fix it (or move it away), then run init --mcp again")
		}
		done := "added"
		if servers != nil && servers.member(MCPServerName) != nil {
			if !force {
				plans = append(plans, plan{path, nil, "kept"})
				continue
			}
			done = "replaced"
		}
		out, err := Merge(src, want)
		if err != nil {
			return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s: %w", path, err), "fix it, then run init --mcp again")
		}
		plans = append(plans, plan{path, out, done})
	}
	var res []MCPResult
	for _, p := range plans {
		if p.out != nil {
			if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
				return res, err
			}
			if err := atomicfile.Write(p.path, p.out, atomicfile.Mode(p.path, 0o644)); err != nil {
				return res, err
			}
		}
		res = append(res, MCPResult{Path: p.path, Done: p.done})
	}
	return res, nil
}

// MCPRoot is the folder the agents' config files belong in for a profile in
// dir: the nearest folder at or above it that holds nx.json, else
// package.json, else .git; else dir itself.
func MCPRoot(dir string) string {
	for _, marker := range []string{"nx.json", "package.json", ".git"} {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, marker)); err == nil {
				return d
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return dir
}
