package harness

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Registry is a distribution registry on 127.0.0.1 for one test.
type Registry struct {
	t    testing.TB
	Addr string // host:port; the engine treats 127.0.0.0/8 as an insecure registry
}

// StartRegistry runs .cache/bin/registry (scripts/provision-registry.sh) on a
// free loopback port until the test ends.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	bin := filepath.Join(RepoRoot(), ".cache", "bin", "registry")
	if _, err := os.Stat(bin); err != nil {
		skip(t, "registry binary missing: run scripts/provision-registry.sh (make provision)")
	}
	port := FreePort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	conf := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%d\n",
		filepath.Join(dir, "data"), port)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfg)
	logf, _ := os.Create(filepath.Join(dir, "registry.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start registry: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	r := &Registry{t: t, Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + r.Addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("registry on %s did not answer in 10 s: %v\n%s", r.Addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Push tags the local image src as ADDR/repo:tag, pushes it, then removes the
// pushed tag locally, so that only a pull can bring it back. Returns the ref.
func (r *Registry) Push(src, repoTag string) string {
	r.t.Helper()
	ref := r.Addr + "/" + repoTag
	Docker(r.t, "", "tag", src, ref)
	Docker(r.t, "", "push", "-q", ref)
	Docker(r.t, "", "rmi", ref)
	r.t.Cleanup(func() { TryDocker("", "rmi", "-f", ref) })
	return ref
}

// Slow returns the host:port of a proxy to this registry that holds every
// manifest request for d, so that a pull through it takes at least d however
// small the image, and lasts long enough to be caught in the act.
func (r *Registry) Slow(d time.Duration) string {
	r.t.Helper()
	target, _ := url.Parse("http://" + r.Addr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "/manifests/") {
			time.Sleep(d)
		}
		proxy.ServeHTTP(w, req)
	})}
	go srv.Serve(l)
	r.t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}
