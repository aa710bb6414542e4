package profile

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// Compose's own rule for an exit 0: not restarted under no (the default) and
// on-failure, restarted under always and unless-stopped; deploy's condition
// wins over restart:, and a declared job always completes.
func TestExitZeroCompletesFollowsComposeRestartPolicy(t *testing.T) {
	u := func(n uint64) *uint64 { return &n }
	for _, c := range []struct {
		restart, deploy string
		job             bool
		want            bool
	}{
		{"", "", false, true}, {"no", "", false, true}, {"on-failure", "", false, true}, {"on-failure:3", "", false, true},
		{"always", "", false, false}, {"unless-stopped", "", false, false},
		{"always", "", true, true},
		{"", "any", false, false}, {"", "on-failure", false, true}, {"", "none", false, true},
		{"no", "any", false, false}, {"always", "none", false, true},
		{"", "always", false, false}, {"", "unless-stopped", false, false},
	} {
		spec := types.ServiceConfig{Name: "init", Restart: c.restart}
		if c.deploy != "" {
			spec.Deploy = &types.DeployConfig{RestartPolicy: &types.RestartPolicy{Condition: c.deploy, MaxAttempts: u(2)}}
		}
		s := &Service{Key: "init", Compose: "init", Spec: spec, Job: c.job}
		if got := s.ExitZeroCompletes(); got != c.want {
			t.Errorf("restart %q, deploy %q, job %v: ExitZeroCompletes = %v, want %v", c.restart, c.deploy, c.job, got, c.want)
		}
	}
	// A restart_policy without a condition is compose's "" (no restart), and wins over restart: always.
	s := &Service{Key: "init", Compose: "init", Spec: types.ServiceConfig{Name: "init", Restart: "always",
		Deploy: &types.DeployConfig{RestartPolicy: &types.RestartPolicy{}}}}
	if !s.ExitZeroCompletes() {
		t.Errorf("deploy.restart_policy without a condition over restart: always: ExitZeroCompletes = false, want true")
	}
}
