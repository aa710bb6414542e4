//go:build linux

package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SSHD is an sshd of a test's own on 127.0.0.1, whose sessions reach one
// engine: `docker system dial-stdio` there talks to DockerHost.
type SSHD struct {
	Port int
	// Bin is a folder to put first on PATH: its ssh runs the real one with a
	// config that uses the test's key and trusts only this sshd's host key.
	Bin string
}

// StartSSHD starts sshd on 127.0.0.1 (root login with a key made here only)
// with DOCKER_HOST=dockerHost in its sessions, and stops it at the end of the
// test. It skips where openssh-server is not installed, unless skips are
// disallowed (make test installs it).
func StartSSHD(t testing.TB, dockerHost string) *SSHD {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		skip(t, "no /usr/sbin/sshd: install openssh-server (make test does)")
	}
	dir := t.TempDir()
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	hostKey, clientKey := filepath.Join(dir, "host_ed25519"), filepath.Join(dir, "client_ed25519")
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pm2dock-e2e-host", "-f", hostKey)
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pm2dock-e2e-client", "-f", clientKey)
	pub, err := os.ReadFile(clientKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("authorized_keys", string(pub))
	s := &SSHD{Port: FreePort(t), Bin: filepath.Join(dir, "bin")}
	cfg := write("sshd_config", fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=%s PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
`, s.Port, hostKey, filepath.Join(dir, "sshd.pid"), filepath.Join(dir, "authorized_keys"), dockerHost))
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // its privilege-separation folder
		t.Fatal(err)
	}
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(hostPub))
	known := write("known_hosts", fmt.Sprintf("[127.0.0.1]:%d %s %s\n", s.Port, fields[0], fields[1]))
	if err := os.MkdirAll(s.Bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Bin, "ssh_config"), []byte(fmt.Sprintf(`Host 127.0.0.1
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  StrictHostKeyChecking yes
  BatchMode yes
`, clientKey, known)), 0o600); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(s.Bin, "ssh"), "./internal/testsupport/sshwrap")
	build.Dir = RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the ssh wrapper: %v\n%s", err, out)
	}

	logPath := filepath.Join(dir, "sshd.log")
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfg, "-E", logPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		probe := exec.Command(filepath.Join(s.Bin, "ssh"), "-p", fmt.Sprint(s.Port), "root@127.0.0.1", "true")
		out, err := probe.CombinedOutput()
		if err == nil {
			return s
		}
		select {
		case <-done:
			t.Fatalf("sshd exited while starting; its log:\n%s", tail(logPath, 20))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh to 127.0.0.1:%d does not work within 20 s: %v\n%s\nsshd log:\n%s", s.Port, err, out, tail(logPath, 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
