package ports

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Binding is one published host port of a service.
type Binding struct {
	HostIP   string // "" means every interface, as in compose's "5432:5432"
	Port     int
	Protocol string // "tcp" (the default when empty), "udp" or "sctp"
}

// String renders b the way compose writes it: "127.0.0.1:5432/tcp", "[::]:53/udp",
// or "5432/tcp" for every interface.
func (b Binding) String() string {
	proto := b.Protocol
	if proto == "" {
		proto = "tcp"
	}
	port := strconv.Itoa(b.Port)
	if b.HostIP == "" {
		return port + "/" + proto
	}
	return net.JoinHostPort(b.HostIP, port) + "/" + proto
}

// Holder is who holds a port. PID is 0 when no process could be seen.
type Holder struct {
	PID       int
	Name      string        // process name (comm)
	Cmdline   string        // argv joined by spaces
	Container *ContainerRef // set when the port is published by a container
	// EngineHost is set when the port is on the machine of an engine
	// elsewhere (its endpoint): only that engine's containers can be named.
	EngineHost string
}

// ContainerRef names a container found through the engine, by its compose labels.
type ContainerRef struct {
	ID, Name, Project, Service string
}

// ContainerFinder finds the running container that publishes a host port on
// an address overlapping b's (every-interface overlaps any), typically by
// listing containers through the Engine API and matching Ports[].PublicPort,
// IP and Type. It returns nil, nil when no container publishes the port.
type ContainerFinder interface {
	FindByPublishedPort(ctx context.Context, b Binding) (*ContainerRef, error)
}

// AddressFinder is what a ContainerFinder may also do: find the container
// (running, starting or stopping) that has ip on one of its networks. The
// userland proxy names the container it forwards to by address
// (docker-proxy … -container-ip IP), which names a container that is not
// listed as publishing the port yet (starting) or any more (stopping).
type AddressFinder interface {
	FindByAddress(ctx context.Context, ip string) (*ContainerRef, error)
}

// Check tries to bind b as the engine would and releases it at once. It returns
// nil when the port is free, a *ConflictError when it is taken, and a wrapped
// error when b is invalid or the bind fails for another reason. finder may be nil.
func Check(ctx context.Context, b Binding, finder ContainerFinder) error {
	return system{probe: bindAndClose, lookup: osLookup()}.check(ctx, b, finder)
}

// Describe finds the holder of b, or returns nil when nothing is learnt. finder
// may be nil, in which case no container is looked for.
func Describe(ctx context.Context, b Binding, finder ContainerFinder) *Holder {
	nb, err := normalize(b)
	if err != nil {
		return nil
	}
	o, _ := osLookup()(ctx, nb)
	return describeOwner(ctx, nb, o, finder)
}

// owner is what the operating system tells about the process behind a socket.
type owner struct {
	pid           int
	name, cmdline string
}

// lookupFunc finds the process holding b. found reports whether some socket
// holds b at all; a socket whose process is hidden from us yields found with
// a zero owner.
type lookupFunc func(ctx context.Context, b Binding) (o owner, found bool)

// system holds the two operations that touch the host, so tests can replace
// the socket table with a fake /proc tree or the bind with a canned error.
type system struct {
	probe  func(Binding) error
	lookup lookupFunc
}

func (s system) check(ctx context.Context, b Binding, finder ContainerFinder) error {
	b, err := normalize(b)
	if err != nil {
		return err
	}
	if b.Port == 0 || b.Protocol == "sctp" {
		return nil // the engine picks the port / Go cannot bind sctp
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = s.probe(b)
	switch {
	case err == nil:
		return nil
	case isAddrInUse(err):
		o, _ := s.lookup(ctx, b)
		return &ConflictError{Binding: b, Holder: describeOwner(ctx, b, o, finder), Err: err}
	case isPrivilegeDenied(err):
		// An unprivileged user cannot bind a low port, but the engine can:
		// only a socket already holding it is a conflict.
		if o, found := s.lookup(ctx, b); found {
			return &ConflictError{Binding: b, Holder: describeOwner(ctx, b, o, finder), Err: err}
		}
		return nil
	default:
		return fmt.Errorf("probe port %s: %w", b, err)
	}
}

// describeOwner turns what the OS said into a Holder, asking finder only when
// the holder is Docker itself or could not be seen.
func describeOwner(ctx context.Context, b Binding, o owner, finder ContainerFinder) *Holder {
	h := &Holder{PID: o.pid, Name: o.name, Cmdline: o.cmdline}
	if finder != nil && (o.pid == 0 || isDockerProcess(o.name)) {
		// Best effort: an engine error leaves the process as the answer.
		if ref, err := finder.FindByPublishedPort(ctx, b); err == nil && ref != nil {
			h.Container = ref
		} else if af, ok := finder.(AddressFinder); ok && err == nil {
			if ip := proxyTarget(o.cmdline); ip != "" {
				if ref, err := af.FindByAddress(ctx, ip); err == nil && ref != nil {
					h.Container = ref
				}
			}
		}
	}
	if h.PID == 0 && h.Container == nil {
		return nil
	}
	return h
}

// proxyTarget is the container address of a docker-proxy command line
// (`… -container-ip 172.18.0.2 -container-port 5432`), "" for anything else.
func proxyTarget(cmdline string) string {
	f := strings.Fields(cmdline)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "-container-ip" {
			if ip, err := netip.ParseAddr(f[i+1]); err == nil {
				return ip.String()
			}
		}
	}
	return ""
}

// IsDocker reports whether the holder is one of Docker's (or Podman's) own
// processes publishing a container's port.
func (h *Holder) IsDocker() bool { return h != nil && isDockerProcess(h.Name) }

// isDockerProcess reports whether a process name is one of the ways Docker holds
// a published port: the userland proxy, the daemon itself (Docker 28+ binds the
// port before handing it over), rootless Docker's port driver, Docker Desktop,
// and Podman's container monitor (conmon holds the published ports).
func isDockerProcess(name string) bool {
	switch {
	case name == "docker-proxy", name == "dockerd", name == "rootlesskit", name == "conmon": // conmon: Podman's
		return true
	case strings.HasPrefix(name, "com.docker."), strings.HasPrefix(name, "vpnkit"):
		return true
	}
	return false
}

// normalize validates b and spells it canonically: protocol lower-case with tcp
// as the default, host IP without brackets.
func normalize(b Binding) (Binding, error) {
	b.Protocol = strings.ToLower(b.Protocol)
	if b.Protocol == "" {
		b.Protocol = "tcp"
	}
	if b.Protocol != "tcp" && b.Protocol != "udp" && b.Protocol != "sctp" {
		return b, fmt.Errorf("check port %d: unknown protocol %q", b.Port, b.Protocol)
	}
	if b.Port < 0 || b.Port > 65535 {
		return b, fmt.Errorf("check port %d: out of range 0-65535", b.Port)
	}
	b.HostIP = strings.TrimSuffix(strings.TrimPrefix(b.HostIP, "["), "]")
	if b.HostIP != "" {
		ip, err := netip.ParseAddr(b.HostIP)
		if err != nil {
			return b, fmt.Errorf("check port %d: host IP: %w", b.Port, err)
		}
		b.HostIP = ip.String()
	}
	return b, nil
}

// hostAddr is b's host IP; the zero Addr means every interface.
func (b Binding) hostAddr() netip.Addr {
	ip, _ := netip.ParseAddr(b.HostIP)
	return ip
}

// overlaps reports whether a socket bound to got stands in the way of binding
// want (the zero Addr: every interface). A socket on an IPv4-mapped address
// serves IPv4; one on [::] may be dual-stack, which the socket tables do not
// show, so it counts against IPv4 too.
func overlaps(want, got netip.Addr) bool {
	got = got.Unmap()
	switch {
	case !want.IsValid():
		return true
	case want.Is4() != got.Is4():
		return want.Is4() && got == netip.IPv6Unspecified()
	}
	return want == got || want.IsUnspecified() || got.IsUnspecified()
}

// bindAndClose binds b the way the engine's port mapper does: tcp4/tcp6 (udp4/udp6)
// for an explicit address so Go does not widen 0.0.0.0 to a dual-stack socket,
// and the dual-stack wildcard for "" since the engine then binds both families.
func bindAndClose(b Binding) error {
	network := b.Protocol
	switch ip := b.hostAddr(); {
	case ip.Is4():
		network += "4"
	case ip.IsValid():
		network += "6"
	}
	addr := net.JoinHostPort(b.HostIP, strconv.Itoa(b.Port))
	if b.Protocol == "udp" {
		c, err := net.ListenPacket(network, addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return err
	}
	return l.Close()
}
