package ports

import (
	"context"
	"strings"
	"testing"
)

// fakeFinder answers for exactly one port and fails the test on any other
// question, or when it was expected to be asked and never was.
type fakeFinder struct {
	t     *testing.T
	port  int
	proto string
	ref   *ContainerRef
	calls int
}

func expectFinder(t *testing.T, port int, proto string, ref *ContainerRef) *fakeFinder {
	f := &fakeFinder{t: t, port: port, proto: proto, ref: ref}
	t.Cleanup(func() {
		if f.calls == 0 {
			t.Errorf("finder was never asked about %d/%s", port, proto)
		}
	})
	return f
}

func (f *fakeFinder) FindByPublishedPort(_ context.Context, b Binding) (*ContainerRef, error) {
	f.t.Helper()
	port, proto := b.Port, b.Protocol
	if port != f.port || proto != f.proto {
		f.t.Fatalf("unexpected FindByPublishedPort(%d, %q), want (%d, %q)", port, proto, f.port, f.proto)
	}
	f.calls++
	return f.ref, nil
}

// refusingFinder fails the test if it is consulted at all.
type refusingFinder struct{ t *testing.T }

func (f refusingFinder) FindByPublishedPort(_ context.Context, b Binding) (*ContainerRef, error) {
	f.t.Helper()
	port, proto := b.Port, b.Protocol
	f.t.Fatalf("finder consulted for %d/%s, but the holder is an ordinary process", port, proto)
	return nil, nil
}

// fakeRunner serves canned outputs for exact argvs and fails the test on any
// other command, or when a canned command was never run.
type fakeRunner struct {
	t       *testing.T
	outputs map[string]string
	used    map[string]bool
}

func expectCommands(t *testing.T, outputs map[string]string) *fakeRunner {
	r := &fakeRunner{t: t, outputs: outputs, used: map[string]bool{}}
	t.Cleanup(func() {
		for argv := range outputs {
			if !r.used[argv] {
				t.Errorf("expected command never ran: %s", argv)
			}
		}
	})
	return r
}

func (r *fakeRunner) run(_ context.Context, name string, args ...string) ([]byte, error) {
	r.t.Helper()
	argv := strings.Join(append([]string{name}, args...), " ")
	out, ok := r.outputs[argv]
	if !ok {
		r.t.Fatalf("unexpected command: %s", argv)
	}
	r.used[argv] = true
	return []byte(out), nil
}
