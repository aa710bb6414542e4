package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/alert"
	"github.com/pm2dock/pm2dock/internal/profile"
)

// spooled is an alert with where it goes: the deliverer needs no profile (it
// may be broken by the time the alert is delivered).
type spooled struct {
	Alert   alert.Alert   `json:"alert"`
	Targets alert.Targets `json:"targets"`
	Dir     string        `json:"dir"` // the command's working folder
}

// alertHook returns the shim's Alert function for profile p: spool the alert
// and hand it to a detached `pm2dock deliver-alert`, so neither a slow webhook
// nor a shim that exits at once (crash loop) delays or loses it.
func alertHook(f *Factory, p *profile.Profile) func(alert.Alert) {
	t := alert.Targets{Command: p.Alerts.Command, Webhook: p.Alerts.Webhook}
	if len(t.Command) == 0 && t.Webhook == "" {
		return nil
	}
	return func(a alert.Alert) {
		if err := launchDelivery(f, p, spooled{Alert: a, Targets: t, Dir: p.Dir}); err != nil {
			fmt.Fprintf(f.IO.ErrOut, "[pm2dock] %s: alert %s not delivered: %v\n", a.Service, a.Alert, err)
		}
	}
}

func launchDelivery(f *Factory, p *profile.Profile, sp spooled) error {
	dir := p.StateDir.AlertSpool()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	file, err := os.CreateTemp(dir, sp.Alert.Service+"-"+sp.Alert.Alert+"-*.json") // 0600
	if err != nil {
		return err
	}
	err = json.NewEncoder(file).Encode(sp)
	file.Close()
	if err != nil {
		return err
	}
	bin, err := f.Executable()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(p.StateDir.AlertLog(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "deliver-alert", file.Name())
	cmd.Stdout, cmd.Stderr, cmd.Dir = logf, logf, p.Dir
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// NewCmdDeliverAlert is the detached deliverer the shim starts (hidden).
func NewCmdDeliverAlert(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "deliver-alert SPOOL-FILE",
		Short:  "Deliver a spooled alert (started by the shim)",
		Hidden: true,
		Args:   usageArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var sp spooled
			if err := json.Unmarshal(raw, &sp); err != nil {
				return fmt.Errorf("alert spool %s: %w", args[0], err)
			}
			ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context()), time.Minute)
			defer cancel()
			for _, line := range alert.Deliver(ctx, sp.Alert, sp.Targets, sp.Dir) {
				fmt.Fprintf(f.IO.Out, "%s %s %s %s: %s\n", f.Now().UTC().Format(time.RFC3339), sp.Alert.Service, sp.Alert.Alert,
					filepath.Base(args[0]), line)
			}
			return os.Remove(args[0])
		},
	}
}
