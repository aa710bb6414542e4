package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// Targets are where alerts go besides the banner.
type Targets struct {
	Command []string
	Webhook string
}

// Timeouts (docs/contracts.md#alerts): the command is killed after CommandTimeout; each
// webhook try gives up after WebhookTimeout; Tries tries with doubling backoff.
var (
	CommandTimeout = 10 * time.Second
	WebhookTimeout = 5 * time.Second
	Tries          = 3
	Backoff        = time.Second
)

// Deliver runs the command and posts the webhook, concurrently, and returns
// one line per target saying how it went.
func Deliver(ctx context.Context, a Alert, t Targets, dir string) []string {
	var out []string
	done := make(chan string, 2)
	n := 0
	if len(t.Command) > 0 {
		n++
		go func() { done <- runCommand(ctx, a, t.Command, dir) }()
	}
	if t.Webhook != "" {
		n++
		go func() { done <- post(ctx, a, t.Webhook) }()
	}
	for ; n > 0; n-- {
		out = append(out, <-done)
	}
	return out
}

func runCommand(ctx context.Context, a Alert, argv []string, dir string) string {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	// The output goes to a file, not a pipe: a child the command leaves
	// running on purpose (`notify … &`) must not hold the delivery open.
	out, err := os.CreateTemp("", "pm2dock-alert-*.out")
	if err != nil {
		return fmt.Sprintf("command %s: %v", argv[0], err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), Env(a)...)
	cmd.Stdout, cmd.Stderr = out, out
	ownGroup(cmd)
	err = cmd.Run()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return fmt.Sprintf("command %s: killed after %s", argv[0], CommandTimeout)
	case err != nil:
		text, _ := os.ReadFile(out.Name())
		if len(text) > 4096 {
			text = text[len(text)-4096:]
		}
		return fmt.Sprintf("command %s failed: %v: %s", argv[0], err, bytes.TrimSpace(text))
	}
	return fmt.Sprintf("command %s: ok", argv[0])
}

func post(ctx context.Context, a Alert, url string) string {
	body, _ := json.Marshal(a)
	wait := Backoff
	var last error
	for try := 1; try <= Tries; try++ {
		if last = postOnce(ctx, url, body); last == nil {
			return fmt.Sprintf("webhook %s: ok (try %d)", url, try)
		}
		if try < Tries {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return fmt.Sprintf("webhook %s: %v", url, ctx.Err())
			}
			wait *= 2
		}
	}
	return fmt.Sprintf("webhook %s failed after %d tries: %v", url, Tries, last)
}

func postOnce(ctx context.Context, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}
