package cli

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/ecosystem"
	"github.com/pm2dock/pm2dock/internal/handoff"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
)

// EcosystemOptions are the inputs of `pm2dock ecosystem`.
type EcosystemOptions struct {
	Output  string
	Handoff bool
}

// NewCmdEcosystem prints the PM2 ecosystem of the profile.
func NewCmdEcosystem(f *Factory, runF func(*EcosystemOptions) error) *cobra.Command {
	opts := &EcosystemOptions{}
	cmd := &cobra.Command{
		Use:   "ecosystem",
		Short: "Print the PM2 ecosystem (JSON) for every service of the profile",
		Long: `Print the PM2 ecosystem for every service: one app per service running
` + "`pm2dock run SERVICE`" + ` under PM2. It holds no secret: the shim resolves the
environment itself at run time. ` + "`pm2 start FILE`" + ` accepts it as is.

--handoff is for an ecosystem evaluated inside ` + "`pm2 start`" + ` (the npm package's
require('pm2dock').apps()): it writes <state_dir>/handoff.env from this
environment, as ` + "`pm2dock start`" + ` does, and gives every app filter_env and the
scrubbed environment, so that no variable of the calling shell reaches PM2.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return ecosystemRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write it to this file instead of stdout")
	cmd.Flags().BoolVar(&opts.Handoff, "handoff", false, "write handoff.env from this environment and keep the pm2 CLI's environment out of the apps")
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
	if opts.Handoff {
		if err := handoff.Write(p.StateDir.Handoff(), p.ReferencedVars(), f.Environ()); err != nil {
			return err
		}
		env := handoff.Scrub(f.Environ())
		if ep, err := f.Endpoint(p); err == nil { // the engine this shell resolves, pinned (docs/engines.md)
			env = ep.Environ(env)
		}
		eco.Isolate(env)
	}
	if opts.Output != "" {
		return ecosystem.Write(opts.Output, eco)
	}
	enc := json.NewEncoder(f.IO.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(eco)
}

func buildEcosystem(f *Factory, p *profile.Profile, keys []service.Key) (*ecosystem.File, error) {
	bin, err := f.Executable()
	if err != nil {
		return nil, err
	}
	return ecosystem.Build(p, bin, keys)
}
