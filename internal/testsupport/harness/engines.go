//go:build linux

package harness

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Engine is a Docker engine a test started for itself: a second dockerd on
// 127.0.0.1 TCP (optionally TLS) and a unix socket, with its own data-root,
// exec-root, pidfile and address pool, no default bridge and no iptables
// rules, so that it shares nothing with the machine's engine.
type Engine struct {
	Host    string   // tcp://127.0.0.1:PORT
	Socket  string   // unix:///…/docker.sock
	Env     []string // DOCKER_HOST and, with TLS, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH
	CertDir string   // the client's ca.pem, cert.pem, key.pem; "" without TLS
	PID     int
	Log     string // dockerd's log file
}

// enginePools hands each engine of a run its own address pool (10.231–10.250).
var enginePools = 0

// StartDockerd starts a second dockerd and stops it (and its containers) at
// the end of the test. With tls, its TCP listener requires client
// certificates made for this test (a CA, a server certificate for 127.0.0.1
// and a client certificate).
func StartDockerd(t testing.TB, tls bool) *Engine {
	t.Helper()
	Require(t)
	e, stop, err := LaunchDockerd(t.TempDir(), tls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// LaunchDockerd is StartDockerd outside a test (make bench): dir is its own
// folder; stop ends it and removes what it mounted.
func LaunchDockerd(dir string, tls bool) (*Engine, func() error, error) {
	// exec-root holds containerd's sockets: keep the path short (108 bytes).
	execRoot, err := os.MkdirTemp("/tmp", "pm2de")
	if err != nil {
		return nil, nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	e := &Engine{Host: fmt.Sprintf("tcp://127.0.0.1:%d", port), Socket: "unix://" + filepath.Join(execRoot, "docker.sock"),
		Log: filepath.Join(dir, "dockerd.log")}
	cfg := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(cfg, []byte("{}\n"), 0o644); err != nil {
		return nil, nil, err
	}
	pool := 231 + enginePools%20
	enginePools++
	args := []string{"--config-file", cfg, "--data-root", filepath.Join(dir, "data"), "--exec-root", execRoot,
		"--pidfile", filepath.Join(dir, "docker.pid"), "--host", e.Socket, "--host", e.Host,
		"--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
		"--default-address-pool", fmt.Sprintf("base=10.%d.0.0/16,size=24", pool)}
	e.Env = []string{"DOCKER_HOST=" + e.Host}
	if tls {
		srv := filepath.Join(dir, "server")
		e.CertDir = filepath.Join(dir, "client")
		if err := MakeTLS(srv, e.CertDir); err != nil {
			return nil, nil, err
		}
		args = append(args, "--tlsverify", "--tlscacert", filepath.Join(srv, "ca.pem"),
			"--tlscert", filepath.Join(srv, "cert.pem"), "--tlskey", filepath.Join(srv, "key.pem"))
		e.Env = append(e.Env, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH="+e.CertDir)
	}
	logf, err := os.Create(e.Log)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command("dockerd", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start dockerd: %w", err)
	}
	logf.Close()
	e.PID = cmd.Process.Pid
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() error {
		// dockerd stops its containers (their stop signal, then SIGKILL after
		// their grace) and its containerd on SIGTERM.
		var err error
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			err = fmt.Errorf("dockerd %d still ran 60 s after SIGTERM; killed it", e.PID)
			syscall.Kill(-e.PID, syscall.SIGKILL)
			<-done
		}
		unmountUnder(filepath.Join(dir, "data"))
		unmountUnder(execRoot)
		os.RemoveAll(execRoot)
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := e.Docker("version", "--format", "{{.Server.Version}}"); err == nil {
			return e, stop, nil
		}
		select {
		case <-done:
			stop()
			return nil, nil, fmt.Errorf("dockerd exited while starting; its log:\n%s", tail(e.Log, 30))
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("dockerd did not answer within 60 s; its log:\n%s", tail(e.Log, 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Docker runs the docker CLI against e (DOCKER_HOST and TLS from e.Env,
// whatever the test process has) and returns stdout.
func (e *Engine) Docker(args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = e.clientEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &cmdError{err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

// clientEnv is this process's environment with e chosen, whatever the
// process chose.
func (e *Engine) clientEnv() []string {
	return append(EnvWithout(os.Environ(), "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_TLS"), e.Env...)
}

// Load copies images from the machine's engine into e (docker save | docker load).
func (e *Engine) Load(t testing.TB, images ...string) {
	t.Helper()
	for _, img := range images {
		RequireImage(t, img)
	}
	if err := e.LoadImages(images...); err != nil {
		t.Fatal(err)
	}
}

// LoadImages is Load outside a test.
func (e *Engine) LoadImages(images ...string) error {
	for _, img := range images {
		save := exec.Command("docker", "--host", "unix:///var/run/docker.sock", "save", img)
		load := exec.Command("docker", "load", "--quiet")
		load.Env = e.clientEnv()
		pipe, err := save.StdoutPipe()
		if err != nil {
			return err
		}
		load.Stdin = pipe
		var errs bytes.Buffer
		save.Stderr, load.Stderr = &errs, &errs
		if err := save.Start(); err != nil {
			return err
		}
		if err := load.Run(); err != nil {
			save.Process.Kill()
			save.Wait()
			return fmt.Errorf("load %s into %s: %v\n%s", img, e.Host, err, errs.String())
		}
		if err := save.Wait(); err != nil {
			return fmt.Errorf("save %s: %v\n%s", img, err, errs.String())
		}
	}
	return nil
}

// EnvWithout returns env without the named variables.
func EnvWithout(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, n := range names {
			if k == n {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// unmountUnder lazily unmounts whatever a dead engine left mounted under dir
// (overlay layers, shm, netns files), deepest first, so the folder can go.
func unmountUnder(dir string) {
	raw, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return
	}
	var under []string
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			under = append(under, f[1])
		}
	}
	for i := len(under) - 1; i >= 0; i-- {
		syscall.Unmount(under[i], syscall.MNT_DETACH)
	}
}

func tail(path string, n int) string {
	raw, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// MakeTLS writes a CA and a server certificate for 127.0.0.1 and localhost
// into serverDir, and the same CA with a client certificate into clientDir,
// each as ca.pem, cert.pem and key.pem (the names DOCKER_CERT_PATH and the
// daemon's defaults use).
func MakeTLS(serverDir, clientDir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pm2dock test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(dir string, serial int64, tmpl *x509.Certificate) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = big.NewInt(serial), now.Add(-time.Hour), now.Add(24*time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		for name, block := range map[string]*pem.Block{"ca.pem": {Type: "CERTIFICATE", Bytes: caDER},
			"cert.pem": {Type: "CERTIFICATE", Bytes: der}, "key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
			if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
				return err
			}
		}
		return nil
	}
	if err := issue(serverDir, 2, &x509.Certificate{Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return err
	}
	return issue(clientDir, 3, &x509.Certificate{Subject: pkix.Name{CommonName: "pm2dock test client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
}
