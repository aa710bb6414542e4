package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/alert"
	"github.com/pm2dock/pm2dock/internal/profile"
)

// alertHook returns the shim's Alert function for profile p: spool the alert
// for a detached deliverer (alert.Spooler); nil when p has no targets.
func alertHook(f *Factory, p *profile.Profile) func(alert.Alert) {
	t := alert.Targets{Command: p.Alerts.Command, Webhook: p.Alerts.Webhook}
	if len(t.Command) == 0 && t.Webhook == "" {
		return nil
	}
	return func(a alert.Alert) {
		exe, err := f.Executable()
		if err == nil {
			err = alert.Spooler{Spool: p.StateDir.AlertSpool(), Log: p.StateDir.AlertLog(), Exe: exe, Targets: t, Dir: p.Dir}.Send(a)
		}
		if err != nil {
			fmt.Fprintf(f.IO.ErrOut, "[pm2dock] %s: alert %s not delivered: %v\n", a.Service, a.Alert, err)
		}
	}
}

// NewCmdDeliverAlert is the detached deliverer the shim starts (hidden).
func NewCmdDeliverAlert(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "deliver-alert SPOOL-FILE",
		Short:  "Deliver a spooled alert (started by the shim)",
		Hidden: true,
		Args:   usageArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context()), time.Minute)
			defer cancel()
			sp, lines, err := alert.DeliverSpooled(ctx, args[0])
			for _, line := range lines {
				fmt.Fprintf(f.IO.Out, "%s %s %s %s: %s\n", f.Now().UTC().Format(time.RFC3339), sp.Alert.Service, sp.Alert.Alert,
					filepath.Base(args[0]), line)
			}
			return err
		},
	}
}
