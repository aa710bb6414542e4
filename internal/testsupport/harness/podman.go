//go:build linux

package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// StartPodman starts Podman's Docker-compatible API service (`podman system
// service`) on a unix socket of the test's own, with its storage, run state,
// events file and network configs under the test's folder, and stops it at the
// end of the test (its containers first: they outlive the service, conmon
// holding them). It skips where podman is not installed, unless skips are
// disallowed (make test installs it).
//
// Left behind on the machine (Podman 4.3 has no setting for them): netavark's
// state in /run/containers/networks and its iptables chains (NETAVARK_*).
func StartPodman(t testing.TB) *Engine {
	t.Helper()
	Require(t)
	if _, err := exec.LookPath("podman"); err != nil {
		skip(t, "no podman: install it (make test does)")
	}
	if !haveNetavark() {
		skip(t, "podman is here but netavark, the network backend this rig names, is not: install the netavark package (make test does: scripts/provision-engines.sh)")
	}
	dir := t.TempDir()
	// Short: the socket path and conmon's attach sockets must fit 108 bytes.
	run, err := os.MkdirTemp("/tmp", "pm2dp")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"root", "networks", "tmp", "events"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "containers.conf")
	// default_ulimits: rootful Podman gives containers nofile and nproc of
	// 1048576, above what a process without CAP_SYS_RESOURCE (this sandbox,
	// many CI containers) may set, and runc then refuses to start them.
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = %q
tmp_dir = %q
[network]
network_backend = "netavark"
network_config_dir = %q
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
`, filepath.Join(dir, "events", "events.log"), filepath.Join(dir, "tmp"), filepath.Join(dir, "networks"))), 0o644); err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(dir, "storage.conf")
	if err := os.WriteFile(storage, []byte(fmt.Sprintf("[storage]\ndriver = \"overlay\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(dir, "root"), filepath.Join(run, "run"))), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(run, "podman.sock")
	e := &Engine{Socket: "unix://" + sock, Log: filepath.Join(dir, "podman.log")}
	e.Host, e.Env = e.Socket, []string{"DOCKER_HOST=" + e.Socket}
	env := append(os.Environ(), "CONTAINERS_CONF="+conf, "CONTAINERS_STORAGE_CONF="+storage)
	podman := func(args ...string) *exec.Cmd {
		cmd := exec.Command("podman", append([]string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(run, "run")}, args...)...)
		cmd.Env = env
		return cmd
	}
	logf, err := os.Create(e.Log)
	if err != nil {
		t.Fatal(err)
	}
	svc := podman("system", "service", "--time=0", e.Socket)
	svc.Stdout, svc.Stderr = logf, logf
	svc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := svc.Start(); err != nil {
		t.Fatalf("start podman system service: %v", err)
	}
	logf.Close()
	e.PID = svc.Process.Pid
	done := make(chan struct{})
	go func() { svc.Wait(); close(done) }()
	t.Cleanup(func() {
		// The containers first (they outlive the service), then the service,
		// then its storage.
		if out, err := podman("rm", "--all", "--force", "--time", "2").CombinedOutput(); err != nil {
			t.Logf("podman rm --all: %v\n%s", err, out)
		}
		syscall.Kill(-e.PID, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-e.PID, syscall.SIGKILL)
			<-done
		}
		if out, err := podman("system", "reset", "--force").CombinedOutput(); err != nil {
			t.Logf("podman system reset: %v\n%s", err, out)
		}
		unmountUnder(dir)
		unmountUnder(run)
		os.RemoveAll(run)
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := e.Docker("version", "--format", "{{.Server.Version}}"); err == nil {
			return e
		}
		select {
		case <-done:
			t.Fatalf("podman system service exited while starting; its log:\n%s", tail(e.Log, 30))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("podman's service did not answer within 30 s; its log:\n%s", tail(e.Log, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// haveNetavark looks where Podman looks for its helper binaries
// (containers.conf helper_binaries_dir's defaults).
func haveNetavark() bool {
	for _, d := range []string{"/usr/local/libexec/podman", "/usr/local/lib/podman", "/usr/libexec/podman", "/usr/lib/podman"} {
		if _, err := os.Stat(filepath.Join(d, "netavark")); err == nil {
			return true
		}
	}
	return false
}
