package profile

import "github.com/pm2dock/pm2dock/internal/state"

// Stores is the part of a profile that reading the log store needs: where it
// is and which services the file names. It reads pm2dock.yaml alone — not the
// compose project — so `pm2dock logs` answers in milliseconds and keeps
// working while a compose file is broken or a variable it needs is unset.
type Stores struct {
	Path     string    // pm2dock.yaml, "" in zero-config mode
	LogsDir  string    // absolute
	StateDir state.Dir // absolute
	// SnapshotDir is where snapshots are kept (absolute).
	SnapshotDir string
	Keys        []string // the services the file lists; nil in zero-config mode
	Logs        Logs
	// EngineContext is engine.context (Profile.EngineContext).
	EngineContext string
}

// Peek reads the profile file strictly (unknown keys and bad values are still
// errors with file and line) without loading compose.
func Peek(opts Options) (*Stores, error) {
	p, raw, lines, err := open(opts)
	if err != nil {
		return nil, err
	}
	st := &Stores{Path: p.Path, LogsDir: p.Logs.Dir, StateDir: p.StateDir, SnapshotDir: p.SnapshotDir, Logs: p.Logs, EngineContext: p.EngineContext}
	if len(raw.Services) > 0 {
		for k := range raw.Services {
			if err := ValidKey(k); err != nil {
				return nil, usage(err, "rename it in "+FileName)
			}
			st.Keys = append(st.Keys, k)
		}
		sortByLine(st.Keys, lines)
	}
	return st, nil
}
