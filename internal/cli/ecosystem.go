package cli

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/ecosystem"
	"github.com/pm2dock/pm2dock/internal/profile"
)

// EcosystemOptions are the inputs of `pm2dock ecosystem`.
type EcosystemOptions struct {
	Output string
}

// NewCmdEcosystem prints the PM2 ecosystem of the profile.
func NewCmdEcosystem(f *Factory, runF func(*EcosystemOptions) error) *cobra.Command {
	opts := &EcosystemOptions{}
	cmd := &cobra.Command{
		Use:   "ecosystem",
		Short: "Print the PM2 ecosystem (JSON) for every service of the profile",
		Long: `Print the PM2 ecosystem for every service: one app per service running
` + "`pm2dock run SERVICE`" + ` under PM2. It holds no secret: the shim resolves the
environment itself at run time. ` + "`pm2 start FILE`" + ` accepts it as is.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return ecosystemRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write it to this file instead of stdout")
	return cmd
}

func ecosystemRun(ctx context.Context, f *Factory, opts *EcosystemOptions) error {
	p, err := f.Profile(ctx)
	if err != nil {
		return err
	}
	eco, err := buildEcosystem(f, p, p.Keys())
	if err != nil {
		return err
	}
	if opts.Output != "" {
		return ecosystem.Write(opts.Output, eco)
	}
	enc := json.NewEncoder(f.IO.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(eco)
}

func buildEcosystem(f *Factory, p *profile.Profile, keys []string) (*ecosystem.File, error) {
	bin, err := f.Executable()
	if err != nil {
		return nil, err
	}
	return ecosystem.Build(p, bin, keys)
}
