package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/compose"
	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/shim"
)

// PullOptions are the inputs of `pm2dock pull`.
type PullOptions struct {
	Services []string
	Restart  bool
}

// NewCmdPull fetches newer images and, with --restart, recreates what changed.
func NewCmdPull(f *Factory, runF func(*PullOptions) error) *cobra.Command {
	opts := &PullOptions{}
	cmd := &cobra.Command{
		Use:   "pull [SERVICE...] [--restart]",
		Short: "Pull (or build) the services' images and say which changed; --restart recreates those through PM2",
		Long: `Pull the image of each service (default: all) as compose does, or build it for
a service with a build section — except a service whose profile says pull: never
(skipped, said so) — and print, per service, whether the image changed from the
one its container runs (or, without a container, the one it had locally). With
--restart, the running services whose image changed are restarted through PM2
(gracefully, dependencies first, each waited for until healthy): their shims
recreate the container from the new image. Nothing else is touched.`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Services = f.services(args)
			if runF != nil {
				return runF(opts)
			}
			return pullRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Restart, "restart", false, "restart the running services whose image changed, through PM2, and wait until healthy")
	return cmd
}

func pullRun(ctx context.Context, f *Factory, opts *PullOptions) error {
	st, keys, closeEngine, err := prepare(ctx, f, opts.Services, false)
	if err != nil {
		return err
	}
	defer closeEngine()
	p := st.Profile
	e := st.Engine.(*engine.Engine)
	runner := &compose.Runner{Profile: p, Env: e.Endpoint.Environ(f.Environ())}
	var changed []service.Key
	for _, k := range keys {
		svc, _ := p.Service(k)
		ref := shim.Image(p.Project.Name, svc.Spec)
		if svc.Pull == "never" {
			fmt.Fprintf(f.IO.Out, "%s: skipped (pull: never), image %s\n", k, ref)
			continue
		}
		before := serviceImage(ctx, e, p, svc, ref)
		t0 := f.Now()
		verb := "pulled"
		if svc.Spec.Build != nil {
			verb = "built"
			err = runner.Build(ctx, svc.Compose)
		} else {
			err = runner.Pull(ctx, svc.Compose)
		}
		if err != nil {
			if ce := (*compose.Error)(nil); errors.As(err, &ce) {
				if ce.PluginMissing() {
					return compose.MissingPlugin(err)
				}
				err = errors.New(render.LastLines(ce.Output, 4))
			}
			return exitcode.New(exitcode.ImageMissing, fmt.Errorf("%s: %s of %s failed: %w", k, map[string]string{"pulled": "the pull", "built": "the build"}[verb], ref, err),
				"the registry or the build says why above; the service runs on as it was")
		}
		after := imageID(ctx, e, ref)
		took := f.Now().Sub(t0).Round(10 * time.Millisecond)
		switch {
		case after == before:
			fmt.Fprintf(f.IO.Out, "%s: %s %s, unchanged (%s, %s)\n", k, verb, ref, shortImage(after), took)
		default:
			fmt.Fprintf(f.IO.Out, "%s: %s %s, changed %s → %s (%s)\n", k, verb, ref, shortImage(before), shortImage(after), took)
			changed = append(changed, k)
		}
	}
	if !opts.Restart || len(changed) == 0 {
		return nil
	}
	procs, err := st.PM2.Apps(ctx)
	if err != nil {
		return err
	}
	restart := map[service.Key]bool{}
	var running []service.Key
	for _, k := range changed {
		if pm2.Find(procs, p.Namespace, k).Live() {
			restart[k] = true
			running = append(running, k)
		}
	}
	if len(running) == 0 {
		fmt.Fprintln(f.IO.Out, "nothing to restart: no service whose image changed is running")
		return nil
	}
	if err := writeStartFiles(f, st); err != nil {
		return err
	}
	results, err := st.Start(ctx, running, restart)
	printStart(f, p, results, true)
	return summarize(f, results, err)
}

// serviceImage is the image the service's container runs (the running one,
// else the newest), or without a container the local image of ref: what a
// pull is compared with — a tag may have moved since the container was made.
func serviceImage(ctx context.Context, e *engine.Engine, p *profile.Profile, svc *profile.Service, ref string) string {
	cs, err := e.ServiceContainers(ctx, p.Project.Name, svc.Compose)
	if err == nil && len(cs) > 0 {
		c := cs[0]
		if r := engine.Running(cs); r != nil {
			c = *r
		}
		if c.ImageID != "" {
			return c.ImageID
		}
	}
	return imageID(ctx, e, ref)
}

// imageID is the local image ID of ref, or "" when there is none.
func imageID(ctx context.Context, e *engine.Engine, ref string) string {
	r, err := e.ImageInspect(ctx, ref)
	if err != nil {
		if !cerrdefs.IsNotFound(err) {
			return "?"
		}
		return ""
	}
	return r.ID
}

func shortImage(id string) string {
	if id == "" {
		return "none"
	}
	if len(id) > 7 && id[:7] == "sha256:" {
		id = id[7:]
	}
	return render.ShortID(id)
}
