package shim

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"

	"github.com/pm2dock/pm2dock/internal/compose"
	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/ports"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/service"
)

// preflight checks, in order, required env (2), the image (3) and the
// published host ports (4), each failing fast with what, why and what next.
// A port held by the service's own container is no conflict (see
// checkPorts): when that container is running by then, preflight returns it
// for the shim to adopt.
func (s *Shim) preflight(ctx context.Context) (*container.Summary, error) {
	if err := s.Profile.MissingEnv(s.Service); err != nil {
		return nil, err
	}
	if name := s.Profile.StateDir.RestoringFrom(s.Service.Key); name != "" {
		// Its data is half put back (docs/contracts.md#snapshots): never run on it.
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s: a restore of snapshot %s did not finish: its volumes hold part of it", s.Service.Key, name),
			fmt.Sprintf("finish it: pm2dock restore %s %s --yes", s.Service.Key, name))
	}
	if w := s.Service.RestartNote(); w != "" && !s.st.Warned {
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: %s\n", s.Service.Key, w)
		s.st.Warned = true
	}
	if err := s.ensureImage(ctx); err != nil {
		return nil, err
	}
	return s.checkPorts(ctx)
}

// Image is the image a compose service runs (compose's default for a built one).
func Image(project string, spec types.ServiceConfig) string {
	if spec.Image != "" {
		return spec.Image
	}
	return project + "-" + spec.Name
}

func (s *Shim) ensureImage(ctx context.Context) error {
	svc := s.Service
	img := Image(s.Profile.Project.Name, svc.Spec)
	_, err := s.Engine.ImageInspect(ctx, img)
	present := err == nil
	if err != nil && !engine.IsNotFound(err) {
		return s.engineErr(fmt.Errorf("inspect image %s: %w", img, err))
	}
	switch {
	case present && (svc.Pull != "always" || svc.Spec.Build != nil):
		return nil
	case svc.Spec.Build != nil:
		s.info("building image %s", img)
		if err := s.Compose.Build(ctx, svc.Compose); err != nil {
			if ce := (*compose.Error)(nil); errors.As(err, &ce) && ce.PluginMissing() {
				return composeMissing(err)
			}
			return imageErr(fmt.Errorf("build of image %s failed: %w", img, err),
				"fix the build (`docker compose build "+svc.Compose+"` shows the same error), then `pm2dock start "+svc.Key.String()+"`")
		}
		return nil
	case svc.Pull == "never":
		return imageErr(fmt.Errorf("image %s is not present locally and pull is never", img),
			"build or load the image (`docker image ls` lists what is here), or set pull: missing in pm2dock.yaml")
	}
	s.info("pulling image %s", img)
	if err := s.Compose.Pull(ctx, svc.Compose); err != nil {
		var ce *compose.Error
		msg := err.Error()
		if errors.As(err, &ce) {
			if ce.PluginMissing() {
				return composeMissing(err)
			}
			msg = render.LastLines(ce.Output, 4)
		}
		return imageErr(fmt.Errorf("pull of image %s failed: %s", img, msg),
			"check the image name and tag, the registry and `docker login`; with no registry, build the image and set pull: never")
	}
	return nil
}

// composeMissing is the exit-2 error for a docker CLI without the compose
// plugin: a setting to fix, not a failure to retry.
func composeMissing(err error) error { return compose.MissingPlugin(err) }

func imageErr(err error, hint string) error { return exitcode.New(exitcode.ImageMissing, err, hint) }

func portErr(key service.Key, err error) error {
	if !ports.IsConflict(err) {
		return err
	}
	return exitcode.New(exitcode.PortConflict, err,
		"stop what holds the port, or change the published port in the compose file, then `pm2dock start "+key.String()+"`")
}

// upError turns a failed `compose up` into the right exit code: the engine's
// "address already in use" (the port was taken after preflight) is a port
// conflict named like preflight names it.
func (s *Shim) upError(ctx context.Context, err error) error {
	var ce *compose.Error
	if errors.As(err, &ce) {
		if b, ok := ports.FromEngineError(ce.Output); ok {
			var h *ports.Holder
			if ep := s.Engine.Endpoint; ep.OnThisMachine() {
				h = ports.Describe(ctx, b, engine.PortFinder{E: s.Engine})
			} else {
				h = ports.DescribeOnEngine(ctx, b, engine.PortFinder{E: s.Engine}, ep.Host)
			}
			return portErr(s.Service.Key, &ports.ConflictError{Binding: b, Holder: h, Err: errors.New(render.LastLines(ce.Output, 1))})
		}
		if strings.Contains(ce.Output, "Cannot connect to the Docker daemon") {
			return engine.Unreachable(s.Engine.Endpoint.Host, err)
		}
		if ce.PluginMissing() {
			return composeMissing(err)
		}
	}
	return fmt.Errorf("start %s: %w", s.Service.Key, err)
}

// Bindings lists the published host ports of a service (ranges expanded).
func Bindings(spec types.ServiceConfig) []ports.Binding {
	var out []ports.Binding
	for _, p := range spec.Ports {
		if p.Published == "" {
			continue // an ephemeral host port cannot conflict
		}
		lo, hi, ok := portRange(p.Published)
		if !ok {
			continue
		}
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		for port := lo; port <= hi; port++ {
			out = append(out, ports.Binding{HostIP: p.HostIP, Port: port, Protocol: proto})
		}
	}
	return out
}

func portRange(s string) (int, int, bool) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, false
	}
	if !isRange {
		return lo, lo, true
	}
	hi, err := strconv.Atoi(b)
	if err != nil || hi < lo {
		return 0, 0, false
	}
	return lo, hi, true
}
