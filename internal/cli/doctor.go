package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/doctor"
	"github.com/pm2dock/pm2dock/internal/endpoint"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/render"
)

// DoctorOptions are the inputs of `pm2dock doctor`.
type DoctorOptions struct {
	JSON bool
}

// NewCmdDoctor checks the engine, compose, PM2 and Node.
func NewCmdDoctor(f *Factory, runF func(*DoctorOptions) error) *cobra.Command {
	opts := &DoctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the Docker engine, the compose plugin, PM2 and Node",
		Long: `Check that everything pm2dock drives is present and answers: the Docker engine
(API version, and which engine: its host, the docker context and how that was
chosen — engine.context of pm2dock.yaml, DOCKER_HOST, DOCKER_CONTEXT or the
current context of the docker CLI's config.json), the compose CLI plugin, PM2 (the workspace's
node_modules/.bin/pm2 first, then PATH) with its PM2_HOME, and Node. Each missing
piece is reported with its fix. Exit 7 when no engine answers, 8 when PM2 is missing.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return doctorRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

func doctorRun(ctx context.Context, f *Factory, opts *DoctorOptions) error {
	dir, err := f.Cwd()
	if err != nil {
		return fmt.Errorf("doctor: current folder: %w", err)
	}
	rep := doctor.Run(ctx, doctor.Env{Dir: dir, Getenv: f.Getenv, Endpoint: func() (endpoint.Endpoint, error) {
		src := endpoint.Source{Env: f.Environ()}
		// engine.context of the profile pins the engine for every command; the
		// rest of the profile does not matter here, and a broken one is not
		// doctor's to report.
		if st, err := profile.Peek(profile.Options{File: f.File, Dir: dir, Env: src.Env}); err == nil {
			src.Context, src.ContextFrom = st.EngineContext, st.Path
		}
		return endpoint.Resolve(src)
	}})
	if opts.JSON {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
		return rep.Err()
	}
	tw := render.Table(f.IO.Out)
	for _, c := range rep.Checks {
		status := "ok"
		if !c.OK {
			status = "MISSING"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, status, c.Version, c.Detail)
	}
	tw.Flush()
	for _, c := range rep.Checks {
		if c.Fix != "" {
			fmt.Fprintf(f.IO.Out, "fix %s: %s\n", c.Name, c.Fix)
		}
	}
	return rep.Err()
}
