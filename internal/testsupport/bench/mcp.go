package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// mcpLogBytes is the store of the MCP logs row: 24 h, a 1 h window from the
// middle (the logs row's shape, smaller: the row compares two readers of
// the same window, not the store's seek).
var mcpLogBytes = int64(256 << 20)

// benchMCP times what an agent asks through `pm2dock mcp` (a server already
// running, as an agent's is) against the CLI a script would run: a status
// call of the ten services against `pm2dock status --json` as a process, and
// a 1-hour logs window against `pm2dock logs --since --until` to a file.
func benchMCP(w *workspace) ([]row, error) {
	if _, _, err := w.run(w.bin, "start"); err != nil {
		return nil, err
	}
	const svc = "mcplog"
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	n, err := writeBoth(filepath.Join(w.dir, ".pm2dock", "logs"), svc, "", start, mcpLogBytes)
	if err != nil {
		return nil, err
	}
	if _, _, err := w.run("sync"); err != nil {
		return nil, err
	}
	ctx := context.Background()
	cmd := exec.Command(w.bin, "mcp")
	cmd.Dir, cmd.Env = w.dir, w.env()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "pm2dock-bench", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		return nil, fmt.Errorf("pm2dock mcp: %w", err)
	}
	defer cs.Close()
	call := func(name string, args map[string]any) (time.Duration, error) {
		t0 := time.Now()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		d := time.Since(t0)
		if err == nil && res.IsError {
			err = fmt.Errorf("mcp %s: %v", name, res.Content)
		}
		return d, err
	}
	if _, err := call("status", nil); err != nil { // the server's first call loads what it caches nowhere: count it out
		return nil, err
	}
	var ours, base []time.Duration
	for i := 0; i < *sruns; i++ {
		d, err := call("status", nil)
		if err != nil {
			return nil, err
		}
		ours = append(ours, d)
		db, _, err := w.run(w.bin, "status", "--json")
		if err != nil {
			return nil, err
		}
		base = append(base, db)
	}
	since, until := start.Add(12*time.Hour).Format(time.RFC3339), start.Add(13*time.Hour).Format(time.RFC3339)
	var lours, lbase []time.Duration
	for i := 0; i < 3; i++ {
		d, err := call("logs", map[string]any{"services": []string{svc}, "since": since, "until": until, "max_bytes": 262144})
		if err != nil {
			return nil, err
		}
		lours = append(lours, d)
		db, _, err := w.runToFile(w.bin, "logs", svc, "--since", since, "--until", until)
		if err != nil {
			return nil, err
		}
		lbase = append(lbase, db)
	}
	mo, mb, lo, lb := median(ours), median(base), median(lours), median(lbase)
	return []row{
		{name: "mcp: status call", ours: ms(mo), base: ms(mb) + " (status --json)", ratio: fmt.Sprintf("%.2f", float64(mo)/float64(mb)),
			note: fmt.Sprintf("10 services, server running; median of %d", *sruns)},
		{name: "mcp: 1 h logs window", ours: ms(lo), base: ms(lb) + " (logs --since --until)", ratio: fmt.Sprintf("%.2f", float64(lo)/float64(lb)),
			note: fmt.Sprintf("1 h of 24 h, %d MB, %d lines; the answer keeps the newest 256 KiB; median of 3", mcpLogBytes>>20, n)},
	}, nil
}
