package ports

import (
	"context"
	"net/netip"
)

// CheckOnEngine is Check for an engine on another machine, where a bind here
// says nothing: it asks the engine whether one of its running containers
// publishes b (same port and protocol, overlapping address) and returns a
// *ConflictError naming it, else nil. What else may hold the port on that
// machine shows only when the engine fails to publish it (FromEngineError,
// then DescribeOnEngine). host is the engine's endpoint, for messages.
func CheckOnEngine(ctx context.Context, b Binding, finder ContainerFinder, host string) error {
	b, err := normalize(b)
	if err != nil {
		return err
	}
	if b.Port == 0 || finder == nil {
		return nil
	}
	ref, err := finder.FindByPublishedPort(ctx, b)
	if err != nil || ref == nil {
		return nil // best effort, as Describe: the start reports a real conflict
	}
	return &ConflictError{Binding: b, Holder: &Holder{Container: ref, EngineHost: host}}
}

// DescribeOnEngine is Describe for an engine on another machine: the container
// of that engine publishing b, or a Holder saying that the holder is on
// engine host and cannot be named from here. It never returns nil.
func DescribeOnEngine(ctx context.Context, b Binding, finder ContainerFinder, host string) *Holder {
	h := &Holder{EngineHost: host}
	if nb, err := normalize(b); err == nil && finder != nil {
		if ref, err := finder.FindByPublishedPort(ctx, nb); err == nil {
			h.Container = ref
		}
	}
	return h
}

// Overlap reports whether two host addresses of published ports can clash:
// equal, or either one every interface ("", 0.0.0.0, ::).
func Overlap(a, b string) bool {
	pa, erra := netip.ParseAddr(a)
	pb, errb := netip.ParseAddr(b)
	switch {
	case a == "" || b == "":
		return true
	case erra != nil || errb != nil:
		return a == b
	case pa.IsUnspecified() || pb.IsUnspecified():
		return true
	}
	return pa.Unmap() == pb.Unmap()
}
