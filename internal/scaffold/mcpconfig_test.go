package scaffold

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// init --mcp writes both files in their formats, keeps every byte of an
// existing file's other servers, keeps its own entry unless forced, and
// refuses a file that is not a JSON object without writing anything.
func TestRegisterMCP(t *testing.T) {
	root := t.TempDir()
	configs := MCPConfigs([]string{"--dir", "services"})
	res, err := RegisterMCP(root, configs, false)
	if err != nil || len(res) != 2 || res[0].Done != "created" || res[1].Done != "created" {
		t.Fatalf("%+v %v", res, err)
	}
	var claude struct {
		MCPServers map[string]struct {
			Type, Command string
			Args          []string
		} `json:"mcpServers"`
	}
	raw, _ := os.ReadFile(filepath.Join(root, ".mcp.json"))
	if err := json.Unmarshal(raw, &claude); err != nil {
		t.Fatal(err)
	}
	if s := claude.MCPServers["pm2dock"]; s.Command != "node_modules/.bin/pm2dock" || strings.Join(s.Args, " ") != "--dir services mcp" || s.Type != "stdio" {
		t.Errorf(".mcp.json: %s", raw)
	}
	var vscode struct {
		Servers map[string]struct{ Type, Command, Cwd string } `json:"servers"`
	}
	raw, _ = os.ReadFile(filepath.Join(root, ".vscode", "mcp.json"))
	if err := json.Unmarshal(raw, &vscode); err != nil || vscode.Servers["pm2dock"].Command != "${workspaceFolder}/node_modules/.bin/pm2dock" {
		t.Errorf(".vscode/mcp.json: %s %v", raw, err)
	}

	// Another server, written by hand with its own spacing: kept byte for byte.
	other := "{\n    \"mcpServers\": {\n        \"db-tool\": { \"command\": \"x\", \"args\": [\"--a\"] }\n    },\n    \"note\": true\n}\n"
	os.WriteFile(filepath.Join(root, ".mcp.json"), []byte(other), 0o644)
	res, err = RegisterMCP(root, configs, false)
	if err != nil || res[0].Done != "added" || res[1].Done != "kept" {
		t.Fatalf("%+v %v", res, err)
	}
	got, _ := os.ReadFile(filepath.Join(root, ".mcp.json"))
	if !strings.Contains(string(got), "\"db-tool\": { \"command\": \"x\", \"args\": [\"--a\"] }") || !strings.Contains(string(got), "\"note\": true") ||
		!strings.Contains(string(got), "        \"pm2dock\": {") {
		t.Errorf("merged .mcp.json:\n%s", got)
	}
	// A person's --allow-control stays; running again changes nothing.
	edited := strings.Replace(string(got), `"--dir",`, `"--allow-control", "--dir",`, 1)
	os.WriteFile(filepath.Join(root, ".mcp.json"), []byte(edited), 0o644)
	if res, err = RegisterMCP(root, configs, false); err != nil || res[0].Done != "kept" {
		t.Fatalf("%+v %v", res, err)
	}
	if again, _ := os.ReadFile(filepath.Join(root, ".mcp.json")); string(again) != edited {
		t.Errorf("a kept entry was rewritten:\n%s", again)
	}
	// Not an object: refused, nothing written to either file.
	os.WriteFile(filepath.Join(root, ".mcp.json"), []byte("[1, 2]\n"), 0o644)
	os.Remove(filepath.Join(root, ".vscode", "mcp.json"))
	if _, err := RegisterMCP(root, configs, false); exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), ".mcp.json") {
		t.Errorf("a JSON array: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, ".vscode", "mcp.json")); err == nil {
		t.Error("the second file was written although the first was refused")
	}
}

func TestMCPRootPrefersTheNxWorkspace(t *testing.T) {
	root := t.TempDir()
	svc := filepath.Join(root, "apps", "services")
	os.MkdirAll(svc, 0o755)
	os.WriteFile(filepath.Join(root, "nx.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(root, "apps", "package.json"), []byte("{}"), 0o644)
	if got := MCPRoot(svc); got != root {
		t.Errorf("MCPRoot = %s, want the nx.json folder %s", got, root)
	}
	bare := t.TempDir()
	if got := MCPRoot(bare); got != bare {
		t.Errorf("MCPRoot of a bare folder = %s", got)
	}
}
