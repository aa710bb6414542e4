package state

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/pm2dock/pm2dock/internal/service"
)

// Dir is a state folder (see the package comment for its layout).
type Dir string

// State is the state file of service.
func (d Dir) State(key service.Key) string { return d.join(string(key) + ".json") }

// StartLock serialises starts and stops of service across pm2dock processes.
func (d Dir) StartLock(key service.Key) string { return d.join("." + string(key) + ".lock") }

// UpLock serialises the shims' `docker compose up` while the project's
// networks do not exist yet (see shim.composeUp).
func (d Dir) UpLock() string { return d.join(".compose-up.lock") }

// ShimLock is held by service's shim for its whole life.
func (d Dir) ShimLock(key service.Key) string { return d.join("." + string(key) + ".shim") }

// RestartOverride is the compose file that runs service's container without
// an engine restart policy (compose.NoRestartOverride).
func (d Dir) RestartOverride(key service.Key) string {
	return d.join(string(key) + ".compose-override.json")
}

// Stats is the file where service's shim keeps its container's latest
// resource figures (Stats).
func (d Dir) Stats(key service.Key) string { return d.join(string(key) + ".stats.json") }

// Restoring is the marker of a restore of key's volumes that has begun and
// not finished (package snapshot): it holds the snapshot's name.
func (d Dir) Restoring(key service.Key) string { return d.join(string(key) + ".restoring") }

// RestoringFrom returns the snapshot a restore of key is putting back, or "".
// The marker is JSON with the snapshot's name in "snapshot" (package
// snapshot writes it); a plain name counts too.
func (d Dir) RestoringFrom(key service.Key) string {
	raw, err := os.ReadFile(d.Restoring(key))
	if err != nil {
		return ""
	}
	var m struct {
		Snapshot string `json:"snapshot"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Snapshot != "" {
		return m.Snapshot
	}
	if s := strings.TrimSpace(string(raw)); s != "" {
		return s
	}
	return "(unnamed)"
}

// Handoff is the file of variables handed to the shims (package handoff).
func (d Dir) Handoff() string { return d.join("handoff.env") }

// Ecosystem is the PM2 ecosystem `pm2dock start` writes and hands to PM2.
func (d Dir) Ecosystem() string { return d.join("ecosystem.json") }

// AlertSpool is the folder of alerts waiting for the detached deliverer.
func (d Dir) AlertSpool() string { return d.join("alerts") }

// AlertLog is where the deliverer writes what became of each alert.
func (d Dir) AlertLog() string { return d.join("alerts.log") }

func (d Dir) join(name string) string { return filepath.Join(string(d), name) }

// A person's `pm2dock start`/`restart` leaves a reset marker for the next
// shim: clear the failure history (the state file has one writer, the shim),
// and answer this request. Each request has a marker of its own,
// <service>.reset.<token>, so two requests never overwrite each other's.
func (d Dir) resetPrefix(key service.Key) string { return d.join(string(key) + ".reset.") }

// RequestReset leaves a marker and returns its token, which the shim that
// takes it records in File.Requests: `start` recognises the state written for
// its own request by the token, not by comparing clocks.
func (d Dir) RequestReset(key service.Key) (string, error) {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return "", err
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b[:])
	f, err := os.OpenFile(d.resetPrefix(key)+token, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	return token, f.Close()
}

// WithdrawReset removes the marker of a request that started no shim.
func (d Dir) WithdrawReset(key service.Key, token string) {
	if isToken(token) {
		os.Remove(d.resetPrefix(key) + token)
	}
}

// PendingResets returns the tokens of the markers no shim has taken yet.
func (d Dir) PendingResets(key service.Key) []string {
	entries, _ := os.ReadDir(string(d))
	var tokens []string
	for _, e := range entries {
		if t, ok := strings.CutPrefix(e.Name(), string(key)+".reset."); ok && isToken(t) {
			tokens = append(tokens, t)
		}
	}
	return tokens
}

// TakeReset consumes the pending markers and returns their tokens (none: no
// reset was requested). A marker is taken by removing it, so each is taken
// by one shim only.
func (d Dir) TakeReset(key service.Key) []string {
	var taken []string
	for _, t := range d.PendingResets(key) {
		if os.Remove(d.resetPrefix(key)+t) == nil {
			taken = append(taken, t)
		}
	}
	return taken
}

func isToken(s string) bool {
	if len(s) != 24 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
