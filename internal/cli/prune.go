package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/figures"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/logstore"
)

// PruneOptions are the inputs of `pm2dock prune`.
type PruneOptions struct {
	DryRun bool
}

// NewCmdPrune applies log retention now.
func NewCmdPrune(f *Factory, runF func(*PruneOptions) error) *cobra.Command {
	opts := &PruneOptions{}
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Apply log and event retention (logs.max_age, logs.max_size) now",
		Long: `Remove the closed log segments that logs.max_age and logs.max_size of the
profile no longer keep, and list each with the reason. The segment being written
is never removed. The event journal (_events/) and the figures history
(_figures/) follow the same rules.
--dry-run lists without removing.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			p, err := f.Profile(c.Context())
			if err != nil {
				return err
			}
			policy := logstore.Policy{MaxAge: p.Logs.MaxAge, MaxSize: p.Logs.MaxSize}
			verb := "removed"
			if opts.DryRun {
				verb = "would remove"
			}
			n := 0
			for _, store := range []struct{ dir, prefix string }{{p.Logs.Dir, ""}, {journal.Dir(p.Logs.Dir), journal.Folder + "/"}, {figures.Dir(p.Logs.Dir), figures.Folder + "/"}} {
				for _, k := range p.Keys() {
					removed, reasons, err := logstore.Prune(store.dir, k.String(), policy, f.Now(), opts.DryRun)
					if err != nil {
						return fmt.Errorf("prune %s%s: %w", store.prefix, k, err)
					}
					for _, s := range removed {
						fmt.Fprintf(f.IO.Out, "%s %s%s (%d bytes): %s\n", verb, store.prefix, s.ID(), s.Size, reasons[s.ID()])
						n++
					}
				}
			}
			fmt.Fprintf(f.IO.Out, "%d segment(s) %s\n", n, verb)
			return nil
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "list what would be removed, remove nothing")
	return cmd
}
