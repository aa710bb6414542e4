package endpoint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// writeContext creates a context the way `docker context create NAME
// --docker host=HOST` does: through the CLI's own store package.
func writeContext(t *testing.T, cfgDir, name, host string, tls *store.EndpointTLSData) {
	t.Helper()
	s := store.New(filepath.Join(cfgDir, "contexts"), storeConfig())
	meta := store.Metadata{Name: name, Metadata: contextMeta{Description: "test"},
		Endpoints: map[string]any{docker.DockerEndpoint: docker.EndpointMeta{Host: host}}}
	if err := s.CreateOrUpdate(meta); err != nil {
		t.Fatal(err)
	}
	if tls != nil {
		if err := s.ResetEndpointTLSMaterial(name, docker.DockerEndpoint, tls); err != nil {
			t.Fatal(err)
		}
	}
}

func writeConfig(t *testing.T, cfgDir, body string) {
	t.Helper()
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestResolveFollowsTheDockerCLIOrder(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, ".docker")
	writeContext(t, cfg, "remote", "tcp://10.1.2.3:2375", nil)
	writeContext(t, cfg, "pinned", "ssh://root@build-box", nil)
	writeContext(t, cfg, "current", "tcp://127.0.0.1:2399", nil)
	writeConfig(t, cfg, `{"currentContext": "current"}`)
	base := []string{"HOME=" + home}
	cases := []struct {
		name          string
		env           []string
		pin           string
		context, host string
		chosen        string
	}{
		{"pin beats everything", []string{"DOCKER_HOST=tcp://1.1.1.1:1", "DOCKER_CONTEXT=remote"}, "pinned",
			"pinned", "ssh://root@build-box", "engine.context in /w/pm2dock.yaml"},
		{"DOCKER_HOST beats DOCKER_CONTEXT", []string{"DOCKER_HOST=tcp://127.0.0.1:2376", "DOCKER_CONTEXT=remote"}, "",
			"default", "tcp://127.0.0.1:2376", "DOCKER_HOST"},
		{"DOCKER_CONTEXT beats the current context", []string{"DOCKER_CONTEXT=remote"}, "",
			"remote", "tcp://10.1.2.3:2375", "DOCKER_CONTEXT"},
		{"an empty DOCKER_HOST is unset", []string{"DOCKER_HOST=", "DOCKER_CONTEXT=remote"}, "",
			"remote", "tcp://10.1.2.3:2375", "DOCKER_CONTEXT"},
		{"the current context of config.json", nil, "",
			"current", "tcp://127.0.0.1:2399", "currentContext in " + filepath.Join(cfg, "config.json")},
		{"pinning default ignores the current context", nil, "default",
			"default", "unix:///var/run/docker.sock", "engine.context in /w/pm2dock.yaml"},
		{"a later variable wins", []string{"DOCKER_CONTEXT=nope", "DOCKER_CONTEXT=remote"}, "",
			"remote", "tcp://10.1.2.3:2375", "DOCKER_CONTEXT"},
		{"DOCKER_HOST without a scheme is tcp", []string{"DOCKER_HOST=127.0.0.1:2375"}, "",
			"default", "tcp://127.0.0.1:2375", "DOCKER_HOST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := Resolve(Source{Env: append(slices.Clone(base), c.env...), Context: c.pin, ContextFrom: "/w/pm2dock.yaml"})
			if err != nil {
				t.Fatal(err)
			}
			if e.Context != c.context || e.Host != c.host || e.Chosen != c.chosen {
				t.Errorf("got context %q host %q chosen %q; want %q %q %q", e.Context, e.Host, e.Chosen, c.context, c.host, c.chosen)
			}
		})
	}
}

func TestResolveWithNothingSetIsTheDefaultSocket(t *testing.T) {
	e, err := Resolve(Source{Env: []string{"HOME=" + t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Context != DefaultContext || e.Host != "unix:///var/run/docker.sock" || e.TLS != "" || !e.OnThisMachine() {
		t.Errorf("got %+v", e)
	}
	if !strings.HasPrefix(e.Chosen, "default") {
		t.Errorf("chosen = %q", e.Chosen)
	}
}

func TestDockerConfigMovesTheStoreAndConfig(t *testing.T) {
	cfg := t.TempDir()
	writeContext(t, cfg, "elsewhere", "tcp://127.0.0.1:2400", nil)
	writeConfig(t, cfg, `{"currentContext": "elsewhere"}`)
	e, err := Resolve(Source{Env: []string{"HOME=" + t.TempDir(), "DOCKER_CONFIG=" + cfg}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Context != "elsewhere" || e.Host != "tcp://127.0.0.1:2400" {
		t.Errorf("got %+v", e)
	}
}

func TestABrokenConfigIsAWarningAsInTheCLI(t *testing.T) {
	home := t.TempDir()
	writeConfig(t, filepath.Join(home, ".docker"), `{"currentContext": `)
	e, err := Resolve(Source{Env: []string{"HOME=" + home}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Context != DefaultContext || !strings.Contains(e.Warning, "config.json is not valid JSON") {
		t.Errorf("got %+v", e)
	}
}

func TestAMissingContextExits2NamingWhatChoseIt(t *testing.T) {
	home := t.TempDir()
	for _, c := range []struct {
		src  Source
		want string
	}{
		{Source{Env: []string{"HOME=" + home, "DOCKER_CONTEXT=ghost"}}, `context "ghost", from DOCKER_CONTEXT`},
		{Source{Env: []string{"HOME=" + home}, Context: "ghost", ContextFrom: "/w/pm2dock.yaml"}, `context "ghost", from engine.context in /w/pm2dock.yaml`},
		{Source{Env: []string{"HOME=" + home, "DOCKER_CONTEXT=../x"}}, `context "../x"`},
	} {
		_, err := Resolve(c.src)
		if err == nil || exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v (code %d); want exit 2 naming %q", c.src, err, exitcode.FromError(err), c.want)
		}
	}
}

func TestAnInvalidDockerHostExits2(t *testing.T) {
	_, err := Resolve(Source{Env: []string{"HOME=" + t.TempDir(), "DOCKER_HOST=tcp://a:b:c"}})
	if err == nil || exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "DOCKER_HOST") {
		t.Errorf("err = %v", err)
	}
}

func TestDefaultTLSReadsTheCertPathLikeTheCLI(t *testing.T) {
	certs := t.TempDir()
	for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
		if err := os.WriteFile(filepath.Join(certs, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	e, err := Resolve(Source{Env: []string{"HOME=" + home, "DOCKER_HOST=tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + certs}})
	if err != nil {
		t.Fatal(err)
	}
	if e.TLS != "tls-verify" || e.ep.TLSData == nil || string(e.ep.TLSData.CA) != "x" || e.ep.SkipTLSVerify {
		t.Errorf("got %+v", e)
	}
	// DOCKER_TLS alone encrypts without verifying the server.
	if e, err = Resolve(Source{Env: []string{"HOME=" + home, "DOCKER_HOST=tcp://127.0.0.1:2376", "DOCKER_TLS=1", "DOCKER_CERT_PATH=" + certs}}); err != nil || e.TLS != "tls" {
		t.Errorf("DOCKER_TLS: %+v, %v", e, err)
	}
	// TLS with no DOCKER_HOST defaults to the TLS port, as the CLI does.
	if e, err = Resolve(Source{Env: []string{"HOME=" + home, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + certs}}); err != nil || e.Host != "tcp://localhost:2376" {
		t.Errorf("no DOCKER_HOST: %+v, %v", e, err)
	}
	// A missing ca.pem is an error, naming the folder.
	_, err = Resolve(Source{Env: []string{"HOME=" + home, "DOCKER_HOST=tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + home}})
	if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "DOCKER_CERT_PATH "+home) {
		t.Errorf("missing ca.pem: %v", err)
	}
}

func TestAContextsTLSMaterialComesFromTheStore(t *testing.T) {
	cfg := t.TempDir()
	writeContext(t, cfg, "secure", "tcp://127.0.0.1:2376", &store.EndpointTLSData{
		Files: map[string][]byte{"ca.pem": []byte("CA"), "cert.pem": []byte("C"), "key.pem": []byte("K")}})
	e, err := Resolve(Source{Env: []string{"HOME=" + t.TempDir(), "DOCKER_CONFIG=" + cfg, "DOCKER_CONTEXT=secure"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.TLS != "tls-verify" || string(e.ep.TLSData.CA) != "CA" || string(e.ep.TLSData.Key) != "K" {
		t.Errorf("got %+v", e)
	}
}

func TestEnvironMakesComposeResolveTheSameEngine(t *testing.T) {
	cfg := t.TempDir()
	writeContext(t, cfg, "remote", "tcp://10.1.2.3:2375", nil)
	env := []string{"HOME=/h", "DOCKER_CONFIG=" + cfg, "PATH=/bin"}

	pinned, err := Resolve(Source{Env: append(slices.Clone(env), "DOCKER_HOST=tcp://127.0.0.1:1", "DOCKER_TLS_VERIFY=1", "DOCKER_CONTEXT=x"), Context: "remote"})
	if err != nil {
		t.Fatal(err)
	}
	got := pinned.Environ(append(slices.Clone(env), "DOCKER_HOST=tcp://127.0.0.1:1", "DOCKER_TLS_VERIFY=1", "DOCKER_CONTEXT=x"))
	want := append(slices.Clone(env), "DOCKER_CONTEXT=remote")
	if !slices.Equal(got, want) {
		t.Errorf("pinned context: %q; want %q", got, want)
	}
	// And the rewritten environment resolves to the same endpoint.
	again, err := Resolve(Source{Env: got})
	if err != nil || again.Host != pinned.Host || again.Context != pinned.Context {
		t.Errorf("re-resolved %+v, %v; want %+v", again, err, pinned)
	}

	hostEnv := append(slices.Clone(env), "DOCKER_HOST=tcp://127.0.0.1:2375", "DOCKER_CONTEXT=remote")
	def, err := Resolve(Source{Env: hostEnv})
	if err != nil {
		t.Fatal(err)
	}
	got = def.Environ(hostEnv)
	want = append(slices.Clone(env), "DOCKER_HOST=tcp://127.0.0.1:2375", "DOCKER_CONTEXT=default")
	if !slices.Equal(got, want) {
		t.Errorf("DOCKER_HOST: %q; want %q", got, want)
	}
}

func TestOnThisMachine(t *testing.T) {
	for host, want := range map[string]bool{
		"unix:///var/run/docker.sock":   true,
		"unix:///run/podman/p.sock":     true,
		"tcp://127.0.0.1:2375":          true,
		"tcp://127.8.0.1:2375":          true,
		"tcp://localhost:2376":          true,
		"tcp://[::1]:2375":              true,
		"tcp://10.0.0.5:2375":           false,
		"tcp://build-box.internal:2376": false,
		"ssh://root@127.0.0.1":          false,
		"ssh://me@build-box":            false,
	} {
		if got := (Endpoint{Host: host}).OnThisMachine(); got != want {
			t.Errorf("%s: %v, want %v", host, got, want)
		}
	}
}

func TestClientOptsForSSHUseTheConnectionHelper(t *testing.T) {
	e, err := Resolve(Source{Env: []string{"HOME=" + t.TempDir(), "DOCKER_HOST=ssh://root@127.0.0.1:2222"}})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := e.ClientOpts()
	if err != nil || len(opts) < 3 { // http client, host, dialer (+ API version from env)
		t.Fatalf("opts %d, %v", len(opts), err)
	}
	bad := Endpoint{Host: "ssh://", Context: "default", Chosen: "DOCKER_HOST", ep: docker.Endpoint{EndpointMeta: docker.EndpointMeta{Host: "ssh://"}}}
	if _, err := bad.ClientOpts(); exitcode.FromError(err) != exitcode.Usage {
		t.Errorf("ssh:// with no host: %v", err)
	}
}

func TestConfigHTTPHeadersGoWithEveryRequest(t *testing.T) {
	cfg := t.TempDir()
	writeConfig(t, cfg, `{"HttpHeaders": {"X-Gate": "team-a"}}`)
	e, err := Resolve(Source{Env: []string{"HOME=" + t.TempDir(), "DOCKER_CONFIG=" + cfg}})
	if err != nil {
		t.Fatal(err)
	}
	if e.headers["X-Gate"] != "team-a" {
		t.Errorf("headers %v", e.headers)
	}
	opts, err := e.ClientOpts()
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := Resolve(Source{Env: []string{"HOME=" + t.TempDir()}})
	popts, _ := plain.ClientOpts()
	if len(opts) != len(popts)+1 {
		t.Errorf("%d client options with HttpHeaders, %d without: the headers option is missing", len(opts), len(popts))
	}
}

func TestSSHIsNotLabelledTLS(t *testing.T) {
	certs := t.TempDir()
	if err := os.WriteFile(filepath.Join(certs, "ca.pem"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Resolve(Source{Env: []string{"HOME=" + t.TempDir(), "DOCKER_HOST=ssh://me@box", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + certs}})
	if err != nil {
		t.Fatal(err)
	}
	if e.TLS != "" {
		t.Errorf("ssh endpoint labelled %q: the connection helper uses no TLS", e.TLS)
	}
}
