package scaffold

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pm2dock/pm2dock/internal/atomicfile"
	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// NxPlugin is how nx.json names pm2dock's Nx plugin (the pm2dock npm
// package's pm2dock/nx export), which infers the targets of Targets for every
// folder holding a pm2dock.yaml.
const NxPlugin = "pm2dock/nx"

// PluginResult says what RegisterNxPlugin did.
type PluginResult struct {
	Path    string // nx.json
	Changed bool   // false: it was registered already
}

// RegisterNxPlugin adds {"plugin": "pm2dock/nx"} to the plugins of the
// workspace's nx.json, keeping every other byte. The plugin must be
// installed (node_modules/pm2dock), or Nx could not load it: without it the
// error says how to install it, or to write explicit targets instead.
func RegisterNxPlugin(ws string) (*PluginResult, error) {
	if _, err := os.Stat(filepath.Join(ws, "node_modules", "pm2dock", "nx.js")); err != nil {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("the pm2dock npm package is not installed in %s, so Nx could not load its plugin", ws),
			"`npm i -D pm2dock` in the workspace first, or pass --project-json for explicit targets in project.json")
	}
	path := filepath.Join(ws, "nx.json")
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	out, changed, err := addPlugin(src)
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s: %w", path, err), "fix nx.json, then run init again")
	}
	res := &PluginResult{Path: path, Changed: changed}
	if changed {
		if err := atomicfile.Write(path, out, atomicfile.Mode(path, 0o644)); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// addPlugin returns nx.json with the plugin registered, and whether it
// changed; a registration as a string or as {"plugin": …} counts.
func addPlugin(src []byte) ([]byte, bool, error) {
	root, err := parseJSON(src)
	if err != nil {
		return nil, false, err
	}
	if root.kind != '{' {
		return nil, false, fmt.Errorf("line %d: not a JSON object", lineAt(src, root.start))
	}
	entry := Obj{{"plugin", NxPlugin}}
	mem := root.member("plugins")
	if mem == nil {
		out, err := Merge(src, Obj{{"plugins", []any{entry}}})
		return out, err == nil, err
	}
	arr := mem.value
	if arr.kind != '[' {
		return nil, false, fmt.Errorf("line %d: plugins is not an array", lineAt(src, arr.start))
	}
	for _, el := range arr.elems {
		if registers(src[el.start:el.end]) {
			return src, false, nil
		}
	}
	unit := detectUnit(src)
	m := &merger{src: src, unit: unit}
	indent := m.indentOf(mem.keyStart)
	inner := indent + unit
	if len(arr.elems) > 0 {
		inner = m.indentOf(arr.elems[len(arr.elems)-1].start)
	}
	var b bytes.Buffer
	if len(arr.elems) > 0 {
		b.WriteByte(',')
	}
	b.WriteString("\n" + inner)
	writeJSON(&b, entry, inner, unit)
	if len(arr.elems) > 0 {
		end := arr.elems[len(arr.elems)-1].end
		return append(append(append([]byte{}, src[:end]...), b.Bytes()...), src[end:]...), true, nil
	}
	b.WriteString("\n" + indent)
	return append(append(append([]byte{}, src[:arr.start+1]...), b.Bytes()...), src[arr.end-1:]...), true, nil
}

func registers(raw []byte) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == NxPlugin
	}
	var o struct {
		Plugin string `json:"plugin"`
	}
	return json.Unmarshal(raw, &o) == nil && o.Plugin == NxPlugin
}
