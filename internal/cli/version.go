package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/buildinfo"
)

// NewCmdVersion prints pm2dock's version.
func NewCmdVersion(f *Factory, runF func() error) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print pm2dock's version",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF()
			}
			_, err := fmt.Fprintln(f.IO.Out, buildinfo.String())
			return err
		},
	}
}
