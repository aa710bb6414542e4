package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
)

// handedOut holds every port this test process has given out. The kernel
// may give the same free port to two listen(":0") calls in a row once the
// first is closed, and two services published on one port is a conflict the
// test did not mean (CI: two soak services given 40373).
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago and
// that no earlier call in this process returned.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func freePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	for try := 0; try < 100; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port on 127.0.0.1 that was not handed out before")
}

// FreePortRange finds n consecutive free ports on 127.0.0.1, none handed out
// before in this process, and returns the first.
func FreePortRange(t testing.TB, n int) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for try := 0; try < 50; try++ {
		lo := 20000 + rand.IntN(30000)
		var held []net.Listener
		ok := true
		for p := lo; p < lo+n && ok; p++ {
			if ok = !handedOut.ports[p]; !ok {
				break
			}
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if ok = err == nil; ok {
				held = append(held, l)
			}
		}
		for _, l := range held {
			l.Close()
		}
		if ok {
			for p := lo; p < lo+n; p++ {
				handedOut.ports[p] = true
			}
			return lo
		}
	}
	t.Fatalf("no %d consecutive free ports found on 127.0.0.1", n)
	return 0
}
