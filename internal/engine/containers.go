package engine

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/ports"
	"github.com/pm2dock/pm2dock/internal/render"
)

// Compose's labels; containers are found by them, never by name.
const (
	LabelProject = "com.docker.compose.project"
	LabelService = "com.docker.compose.service"
	LabelOneoff  = "com.docker.compose.oneoff"
)

// ServiceContainers lists the containers (running or not) of one compose
// service, excluding one-off `compose run` containers.
func (e *Engine) ServiceContainers(ctx context.Context, project, service string) ([]container.Summary, error) {
	f := client.Filters{}
	f.Add("label", LabelProject+"="+project, LabelService+"="+service)
	res, err := e.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers of %s/%s: %w", project, service, err)
	}
	out := res.Items[:0]
	for _, c := range res.Items {
		if c.Labels[LabelOneoff] != "True" {
			out = append(out, c)
		}
	}
	return out, nil
}

// Running returns the running one among cs, or nil.
func Running(cs []container.Summary) *container.Summary {
	for i := range cs {
		if cs[i].State == container.StateRunning {
			return &cs[i]
		}
	}
	return nil
}

// Name is a container's name without the leading slash.
func Name(c container.Summary) string {
	if len(c.Names) == 0 {
		return render.ShortID(c.ID)
	}
	return strings.TrimPrefix(c.Names[0], "/")
}

// PortFinder finds the container publishing a host port (ports.ContainerFinder).
type PortFinder struct{ E *Engine }

// FindByPublishedPort returns the running container that publishes b's port
// and protocol on an overlapping address.
func (f PortFinder) FindByPublishedPort(ctx context.Context, b ports.Binding) (*ports.ContainerRef, error) {
	res, err := f.E.ContainerList(ctx, client.ContainerListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	proto := b.Protocol
	if proto == "" {
		proto = "tcp"
	}
	for _, c := range res.Items {
		for _, p := range c.Ports {
			if int(p.PublicPort) == b.Port && string(p.Type) == proto && ports.Overlap(b.HostIP, addr(p.IP)) {
				return &ports.ContainerRef{ID: c.ID, Name: Name(c), Project: c.Labels[LabelProject], Service: c.Labels[LabelService]}, nil
			}
		}
	}
	return nil, nil
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// FindByAddress returns the container, in any state, with ip on one of its
// networks (ports.AddressFinder): the target of a docker-proxy.
func (f PortFinder) FindByAddress(ctx context.Context, ip string) (*ports.ContainerRef, error) {
	res, err := f.E.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range res.Items {
		if c.NetworkSettings == nil {
			continue
		}
		for _, n := range c.NetworkSettings.Networks {
			if n != nil && addr(n.IPAddress) == ip {
				return &ports.ContainerRef{ID: c.ID, Name: Name(c), Project: c.Labels[LabelProject], Service: c.Labels[LabelService]}, nil
			}
		}
	}
	return nil, nil
}
