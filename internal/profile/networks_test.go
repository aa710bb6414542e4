package profile

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pm2dock/pm2dock/internal/service"
)

// The networks a service's first `up` creates: compose's implicit default,
// declared ones under their own or the project-prefixed name, never an
// external one or a service without networks of its own.
func TestNetworksAreTheOnesComposeCreates(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "compose.yaml"), `
name: nets
services:
  plain: {image: x}
  both: {image: x, networks: [back, default]}
  named: {image: x, networks: [fixed, outside]}
  host: {image: x, network_mode: host}
  sidecar: {image: x, network_mode: "service:plain"}
networks:
  back: {}
  fixed: {name: exactly-this}
  outside: {external: true, name: theirs}
`)
	p, err := load(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"plain": "nets_default", "both": "nets_back,nets_default",
		"named": "exactly-this", "host": "", "sidecar": ""} {
		svc, err := p.Service(service.Key(key))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(p.Networks(svc), ","); got != want {
			t.Errorf("%s: networks %q, want %q", key, got, want)
		}
	}
}
