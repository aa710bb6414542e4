package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

// Spooled is an alert with where it goes, as a spool file holds it: the
// deliverer needs no profile (it may be broken by the time the alert is
// delivered).
type Spooled struct {
	Alert   Alert   `json:"alert"`
	Targets Targets `json:"targets"`
	Dir     string  `json:"dir"` // the command's working folder
}

// Spooler hands alerts to a detached deliverer: `Exe deliver-alert FILE`, in
// a session of its own, so that neither a slow webhook nor a shim that exits
// at once (a crash loop) delays or loses an alert.
type Spooler struct {
	Spool   string // the folder of spool files (state.Dir.AlertSpool)
	Log     string // where the deliverer writes what it did (state.Dir.AlertLog)
	Exe     string // this pm2dock binary
	Targets Targets
	Dir     string // the alert command's working folder (the profile's)
}

// Send spools a and starts its deliverer; it returns once the deliverer runs.
func (s Spooler) Send(a Alert) error {
	if err := os.MkdirAll(s.Spool, 0o755); err != nil {
		return err
	}
	file, err := os.CreateTemp(s.Spool, a.Service+"-"+a.Alert+"-*.json") // 0600
	if err != nil {
		return err
	}
	err = json.NewEncoder(file).Encode(Spooled{Alert: a, Targets: s.Targets, Dir: s.Dir})
	file.Close()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(s.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(s.Exe, "deliver-alert", file.Name())
	cmd.Stdout, cmd.Stderr, cmd.Dir = logf, logf, s.Dir
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// DeliverSpooled delivers the alert of a spool file (see Deliver), removes
// the file, and returns the alert with one line per target.
func DeliverSpooled(ctx context.Context, path string) (Spooled, []string, error) {
	var sp Spooled
	raw, err := os.ReadFile(path)
	if err != nil {
		return sp, nil, err
	}
	if err := json.Unmarshal(raw, &sp); err != nil {
		return sp, nil, fmt.Errorf("alert spool %s: %w", path, err)
	}
	lines := Deliver(ctx, sp.Alert, sp.Targets, sp.Dir)
	return sp, lines, os.Remove(path)
}
