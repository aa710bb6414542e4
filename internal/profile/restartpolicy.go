package profile

import (
	"fmt"
	"strconv"
	"strings"
)

// One supervisor per failure. A compose restart policy (`restart:`, or
// `deploy.restart_policy`, which wins in compose) would have the engine
// restart a container behind PM2's back — two supervisors for one exit, the
// restart delay and the crash-loop count bypassed. pm2dock's restart policy
// governs instead: the shim creates the container with the engine's policy
// set to none (an override file, see compose.NoRestartOverride), and the
// file's intent is taken into the profile where it maps: `on-failure:N` (or
// deploy.restart_policy.max_attempts N with condition on-failure) becomes
// restart.max N when pm2dock.yaml sets no restart.max. Every other policy
// (no, always, unless-stopped, on-failure) maps to pm2dock's restart as
// configured: PM2 restarts a shim whose container failed, after the shim's
// delay, until the crash loop.
//
// What counts as a failure follows compose too: a container that exits 0 by
// itself under `no` (compose's default) or `on-failure` has done its work —
// compose does not restart it — so it is completed, not failed
// (ExitZeroCompletes); under `always` or `unless-stopped` it is restarted.

// EngineRestart describes the service's compose restart policy, "" when it
// has none (or "no"/"none"): `restart: unless-stopped`,
// `deploy.restart_policy.condition: on-failure`.
func (s *Service) EngineRestart() string {
	if s.HasDeployRestart() {
		return "deploy.restart_policy.condition: " + s.Spec.Deploy.RestartPolicy.Condition
	}
	if r := s.Spec.Restart; r != "" && r != "no" {
		return "restart: " + r
	}
	return ""
}

// HasDeployRestart reports whether the policy is deploy.restart_policy's.
func (s *Service) HasDeployRestart() bool {
	d := s.Spec.Deploy
	return d != nil && d.RestartPolicy != nil && d.RestartPolicy.Condition != "" && d.RestartPolicy.Condition != "none"
}

// onFailureMax is the N of an on-failure policy with a retry count, or 0.
func onFailureMax(s *Service) int {
	if s.HasDeployRestart() {
		rp := s.Spec.Deploy.RestartPolicy
		if rp.Condition == "on-failure" && rp.MaxAttempts != nil {
			return int(*rp.MaxAttempts)
		}
		return 0
	}
	if n, ok := strings.CutPrefix(s.Spec.Restart, "on-failure:"); ok {
		if v, err := strconv.Atoi(n); err == nil && v > 0 {
			return v
		}
	}
	return 0
}

// ExitZeroCompletes reports whether the service's container exiting 0 by
// itself is its end rather than a failure: a declared job, or a compose restart
// policy that does not restart on success (`no`, the default, `on-failure`,
// deploy's `none` and `on-failure`). docs/contracts.md#jobs.
func (s *Service) ExitZeroCompletes() bool {
	if s.Job {
		return true
	}
	if d := s.Spec.Deploy; d != nil && d.RestartPolicy != nil { // compose's deploy rule wins over restart:
		switch d.RestartPolicy.Condition { // as compose maps it (none and "" are no restart)
		case "any", "always", "unless-stopped":
			return false
		}
		return true
	}
	switch r := s.Spec.Restart; {
	case r == "", r == "no", r == "on-failure", strings.HasPrefix(r, "on-failure:"):
		return true
	}
	return false // always, unless-stopped
}

// RestartNote says what becomes of the service's compose restart policy, ""
// when it has none; `start` and the shim print it once.
func (s *Service) RestartNote() string {
	p := s.EngineRestart()
	if p == "" {
		return ""
	}
	msg := fmt.Sprintf("compose service %s has `%s`: its container runs without an engine restart policy, "+
		"and pm2dock's restart policy restarts it through PM2 (max %d failures within %s, delay %s doubling to %s)",
		s.Compose, p, s.Restart.Max, s.Restart.Window, s.Restart.Delay, s.Restart.MaxDelay)
	if s.restartFromCompose {
		msg += fmt.Sprintf("; restart.max %d comes from the compose policy", s.Restart.Max)
	}
	if s.ExitZeroCompletes() {
		msg += "; an exit 0 of its own is its end (completed), not a failure, as in compose"
	}
	return msg
}
