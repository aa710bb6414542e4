package verdict

import (
	"fmt"
	"time"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
)

// State is a service's state word in the `status --json` contract
// (docs/contracts.md#status-json) and in start's summary.
type State string

// The states a service can be in.
const (
	Healthy   State = "healthy"
	Running   State = "running" // no healthcheck
	Starting  State = "starting"
	Unhealthy State = "unhealthy"
	Stopped   State = "stopped"
	Failed    State = "failed"
	CrashLoop State = "crash-loop"
	Unknown   State = "unknown"
	Completed State = "completed" // a service whose container ran to its end with exit 0 (docs/contracts.md#jobs)
)

// Ready reports whether s passes `status --check`, `wait` and `start`: a
// completed job counts as ready.
func (s State) Ready() bool { return s == Healthy || s == Running || s == Completed }

// Input is everything a verdict is decided from.
type Input struct {
	Service service.Key // for messages
	Job     bool        // a declared one-shot job: its answer to a request is its completion

	// App is PM2's view of the service's app: nil when PM2 does not know it
	// (for a request: also when PM2 was not asked this time).
	App     *rpc.Process
	PM2Down bool // PM2 did not answer (a look: the state is unknown)

	State *state.File // the shim's state file; nil when there is none

	// Container is the engine's view of the service's container (a look);
	// nil when it has none. A request is judged by the shim's phase instead.
	Container  *Container
	EngineDown bool // the engine did not answer (a look)

	Request *Request  // nil: a look
	Now     time.Time // with a Request that has a Deadline: past it, the request is done
}

// Container is what a look needs of the engine's view of a container.
type Container struct {
	Running bool
	Health  string // "", starting, healthy, unhealthy
}

// Request is a start or restart waiting for its answer.
type Request struct {
	Token   string        // the request token its shim records (state.File.Answers)
	Since   time.Time     // when it was asked; with no token, a shim started since answers
	ShimPID int           // instead: the shim of this pid, already starting, answers
	Timeout time.Duration // how long the asker waits (start_timeout)…
	// Deadline is when that wait ends (it begins once the shim was started,
	// not at Since); zero: no deadline.
	Deadline time.Time
}

// AnsweredBy reports whether st was written by a shim answering r: the one
// of ShimPID when set, or one started since (PM2 restarted that shim after
// its container exited); else the one holding its token; else, when the
// token could not be left (a read-only state folder), one that started since.
func (r *Request) AnsweredBy(st *state.File) bool {
	switch {
	case st == nil:
		return false
	case r.ShimPID != 0:
		return st.ShimPID == r.ShimPID || !r.Since.IsZero() && !st.ShimStartedAt.Before(r.Since)
	case r.Token != "":
		return st.Answers(r.Token)
	}
	return !st.ShimStartedAt.Before(r.Since)
}

// Verdict is the answer.
type Verdict struct {
	Service service.Key
	State   State
	// Done: nothing changes without someone acting — ready (Code OK) or
	// failed for good. A request is also done at its deadline.
	Done bool
	// Code is OK when ready; the failure's exit code when failed for good;
	// NotHealthy while not done. In a request, Error is the one verdict PM2
	// alone gives (the app stopped or errored before a shim answered); PM2
	// shows an app it is about to restart as stopped for an instant
	// (docs/pm2-facts.md#restarting), so a caller confirms it with a second
	// look before it trusts it.
	Code   exitcode.Code
	Reason string // why it is not ready
	Hint   string // what to do about it
}

// Ready reports whether the service is ready: healthy, running without a
// healthcheck, or completed.
func (v Verdict) Ready() bool { return v.Done && v.Code == exitcode.OK }

// Err is the verdict as an error with its exit code: nil when ready.
func (v Verdict) Err() error {
	if v.Ready() {
		return nil
	}
	return exitcode.New(v.Code, fmt.Errorf("%s: %s", v.Service, v.Reason), v.Hint)
}

// Judge decides.
func Judge(in Input) Verdict {
	if in.Request != nil {
		return judgeRequest(in)
	}
	return judgeLook(in)
}

// judgeLook is the state table of docs/contracts.md#status-json.
func judgeLook(in Input) Verdict {
	v := Verdict{Service: in.Service, State: derive(in.App, in.Container, in.State)}
	if in.PM2Down || in.EngineDown && v.State != Failed && v.State != CrashLoop {
		v.State = Unknown
	}
	switch v.State {
	case Healthy, Running, Completed:
		v.Done, v.Code = true, exitcode.OK
	case Failed, CrashLoop:
		v.Done = true
		if st := in.State; st != nil && st.Phase == state.Failed && !in.App.Supersedes(st.ShimPID) {
			v.Code, v.Reason, v.Hint = shimCode(st), st.Reason, hintOf(in.Service, st)
			return v
		}
		v.Code, v.Reason, v.Hint = exitcode.NotHealthy, "PM2 reports the app errored", hintOf(in.Service, nil)
		if st := in.State; st != nil && st.LastFailure != nil {
			v.Reason += "; last failure: " + st.LastFailure.Reason
		}
	default:
		pm2 := "not registered"
		if in.App != nil {
			pm2 = string(in.App.Env.Status)
		}
		v.Code, v.Reason = exitcode.NotHealthy, fmt.Sprintf("%s (PM2 %s)", v.State, pm2)
	}
	return v
}

// derive is a look's state word from the three views; any may be nil.
func derive(app *rpc.Process, c *Container, st *state.File) State {
	online := app.Live()
	running := c != nil && c.Running
	if st != nil && !app.Supersedes(st.ShimPID) {
		switch {
		case st.Phase == state.Completed && !running:
			return Completed
		case st.Phase == state.Failed: // the shim gave up: PM2 may say "waiting restart"
			if st.Code() == exitcode.CrashLoop {
				return CrashLoop
			}
			return Failed
		}
	}
	switch {
	case online && running:
		return healthState(c.Health)
	case online:
		return Starting // the shim is preflighting or (re)creating the container
	case running:
		return Unknown // a container no shim supervises
	case app != nil && app.Env.Status == rpc.WaitingRestart:
		return Starting
	case app != nil && app.Env.Status == rpc.Errored:
		return Failed
	}
	return Stopped
}

func healthState(health string) State {
	switch health {
	case "healthy":
		return Healthy
	case "unhealthy":
		return Unhealthy
	case "starting":
		return Starting
	}
	return Running
}

// judgeRequest follows the phases of the shim answering the request
// (docs/contracts.md#state-file).
func judgeRequest(in Input) Verdict {
	st, req := in.State, in.Request
	v := Verdict{Service: in.Service, State: Starting, Code: exitcode.NotHealthy}
	fresh := req.AnsweredBy(st)
	if !fresh {
		st = nil
	}
	switch {
	case !fresh || st.Phase == state.Exited:
		// No answer yet, or the container exited and PM2 restarts the shim,
		// which backs off and tries again (the restart policy ends it with a
		// crash loop if it keeps failing) — unless PM2 gave the app up.
		if in.App.GaveUp() {
			v.State, v.Done, v.Code = Failed, true, exitcode.Error
			v.Reason = fmt.Sprintf("PM2 reports the app %s before its shim ran; see `pm2 logs %s`", in.App.Env.Status, in.Service)
			return v
		}
	case st.Phase == state.Ready:
		v.State = Healthy
		if st.Container != nil && st.Container.Health == "" {
			v.State = Running
		}
		if !in.Job {
			v.Done, v.Code = true, exitcode.OK
			return v
		}
	case st.Phase == state.Completed:
		v.State, v.Done, v.Code = Completed, true, exitcode.OK
		return v
	case st.Phase == state.Stopped && in.App.Supersedes(st.ShimPID):
		// A shim PM2 restarted just before this request's own pm2 call can
		// answer it and then be stopped by that call: its "stopped" is not
		// the verdict while a newer shim runs.
	case st.Phase == state.Stopped, st.Phase == state.Failed, st.Phase == state.Detached:
		v.State, v.Done, v.Code, v.Reason, v.Hint = Failed, true, shimCode(st), st.Reason, hintOf(in.Service, st)
		switch st.Phase {
		case state.Stopped:
			v.Reason = "was stopped while starting"
		case state.Detached:
			v.Code = exitcode.PM2Missing
		}
		if v.Code == exitcode.CrashLoop {
			v.State = CrashLoop
		}
		return v
	case st.Phase == state.Unhealthy:
		v.State = Unhealthy
	}
	if !req.Deadline.IsZero() && !in.Now.Before(req.Deadline) {
		return timedOut(v, in.Job, st, req.Timeout)
	}
	return v
}

// timedOut is a request's verdict at its deadline.
func timedOut(v Verdict, job bool, st *state.File, timeout time.Duration) Verdict {
	key := v.Service
	v.State, v.Done, v.Code = Failed, true, exitcode.NotHealthy
	if job && st != nil && st.Phase == state.Ready { // only a job waits past ready
		v.Reason = fmt.Sprintf("has not completed after %s (a job: it is left running)", timeout)
		v.Hint = fmt.Sprintf("`pm2dock status %s` shows when it completes; raise start_timeout in pm2dock.yaml if it needs longer", key)
		return v
	}
	what := "its shim never reported"
	if st != nil && st.Phase == state.Exited {
		what = "exited while starting: " + st.Reason
	} else if st != nil {
		what = "phase " + string(st.Phase)
		if st.Container != nil && st.Container.Health != "" {
			what += ", health " + st.Container.Health
		}
	}
	v.Reason = fmt.Sprintf("not healthy after %s (%s)", timeout, what)
	v.Hint = fmt.Sprintf("see `pm2dock logs %s --since 15m`; raise start_timeout in pm2dock.yaml if it is only slow", key)
	return v
}

// shimCode is the exit code of a shim's ending: its own when it gave up with
// one (2–6), not healthy otherwise.
func shimCode(st *state.File) exitcode.Code {
	if c := st.Code(); c != exitcode.Error && c != exitcode.OK {
		return c
	}
	return exitcode.NotHealthy
}

func hintOf(key service.Key, st *state.File) string {
	if st != nil && st.Hint != "" {
		return st.Hint
	}
	return fmt.Sprintf("see `pm2dock logs %s --since 15m` and `pm2 logs %s`; fix it, then `pm2dock start %s`", key, key, key)
}
