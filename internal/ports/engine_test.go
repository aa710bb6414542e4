package ports

import (
	"context"
	"strings"
	"testing"
)

func TestCheckOnEngineNamesTheEnginesContainer(t *testing.T) {
	ref := &ContainerRef{ID: "abc", Name: "/web-1", Project: "shop", Service: "web"}
	err := CheckOnEngine(context.Background(), Binding{HostIP: "127.0.0.1", Port: 5432}, expectFinder(t, 5432, "tcp", ref), "ssh://me@build-box")
	if !IsConflict(err) {
		t.Fatalf("err = %v, want a conflict", err)
	}
	want := "port 127.0.0.1:5432/tcp is already in use on the engine's machine (ssh://me@build-box) by container web-1 (compose project shop, service web)"
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err, want)
	}
}

func TestCheckOnEngineDoesNotBindHere(t *testing.T) {
	// The port is taken on this machine, but the engine is elsewhere and
	// none of its containers publishes it: no conflict from here.
	port := holdTCP(t, "127.0.0.1:0")
	if err := CheckOnEngine(context.Background(), Binding{HostIP: "127.0.0.1", Port: port}, expectFinder(t, port, "tcp", nil), "tcp://10.0.0.5:2376"); err != nil {
		t.Errorf("err = %v, want nil", err)
	}
	if err := CheckOnEngine(context.Background(), Binding{Port: 0}, refusingFinder{t}, "tcp://10.0.0.5:2376"); err != nil {
		t.Errorf("port 0: %v", err)
	}
}

func TestDescribeOnEngineSaysWhenTheHolderCannotBeNamed(t *testing.T) {
	b := Binding{Port: 8080, Protocol: "udp"}
	h := DescribeOnEngine(context.Background(), b, expectFinder(t, 8080, "udp", nil), "tcp://10.0.0.5:2376")
	msg := (&ConflictError{Binding: b, Holder: h}).Error()
	for _, want := range []string{"on the engine's machine (tcp://10.0.0.5:2376)", "not one of its containers", "cannot be named from here", "ss -lunp 'sport = :8080'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

func TestOverlap(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"", "127.0.0.1", true}, {"0.0.0.0", "10.0.0.1", true}, {"::", "127.0.0.1", true},
		{"127.0.0.1", "127.0.0.1", true}, {"127.0.0.1", "10.0.0.1", false}, {"::ffff:127.0.0.1", "127.0.0.1", true},
		{"::1", "127.0.0.1", false},
	} {
		if got := Overlap(c.a, c.b); got != c.want {
			t.Errorf("Overlap(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
