// Package alert tells a person that a service needs them: a crash loop, an
// image that cannot be had, a port someone else holds — and that it recovered.
// An alert goes to three places (profile `alerts`, docs/contracts.md#alerts): a banner on the shim's
// stderr (so `pm2 logs` shows it), the profile's alerts.command (argv, no
// shell, the alert in PM2DOCK_* variables, killed after 10 s) and its
// alerts.webhook (POST of the JSON below, 5 s timeout, 3 tries with backoff).
//
// Delivery never blocks supervision or shutdown: the shim writes the alert to
// a spool file and hands it to a detached `pm2dock deliver-alert` process,
// which outlives the shim (a crash-looping shim exits at once), delivers it,
// logs the outcome to <state_dir>/alerts.log and removes the spool file.
package alert

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Kinds of alert.
const (
	CrashLoop        = "crash-loop"
	ImageUnavailable = "image-unavailable"
	PortConflict     = "port-conflict"
	Recovered        = "recovered"
)

// Alert is what is delivered; the JSON is the webhook's body.
type Alert struct {
	Alert     string    `json:"alert"`
	Service   string    `json:"service"`
	Reason    string    `json:"reason"`
	ExitCode  int       `json:"exit_code"`  // the container's, for a crash loop the failure's that tripped it
	OOMKilled bool      `json:"oom_killed"` // that failure was an OOM kill
	Restarts  int       `json:"restarts"`
	Window    string    `json:"window"`
	LastLines []string  `json:"last_lines"`
	Guidance  string    `json:"guidance"`
	At        time.Time `json:"at"`
}

// Banner writes the alert for a person reading `pm2 logs`.
func Banner(w io.Writer, a Alert) {
	bar := strings.Repeat("=", 72)
	title := map[string]string{CrashLoop: "CRASH LOOP", ImageUnavailable: "IMAGE UNAVAILABLE",
		PortConflict: "PORT CONFLICT", Recovered: "RECOVERED"}[a.Alert]
	fmt.Fprintf(w, "%s\n[pm2dock] %s: %s\n  reason:   %s\n", bar, title, a.Service, a.Reason)
	if a.Alert == CrashLoop {
		fmt.Fprintf(w, "  restarts: %d within %s; PM2 will not restart it again\n", a.Restarts, a.Window)
	}
	if a.Guidance != "" {
		fmt.Fprintf(w, "  next:     %s\n", strings.ReplaceAll(a.Guidance, "\n", "\n            "))
	}
	fmt.Fprintln(w, bar)
}

// Env is the alert as the command's extra environment.
func Env(a Alert) []string {
	return []string{
		"PM2DOCK_ALERT=" + a.Alert, "PM2DOCK_SERVICE=" + a.Service, "PM2DOCK_REASON=" + a.Reason,
		"PM2DOCK_GUIDANCE=" + a.Guidance, fmt.Sprintf("PM2DOCK_EXIT_CODE=%d", a.ExitCode), fmt.Sprintf("PM2DOCK_OOM_KILLED=%t", a.OOMKilled),
		fmt.Sprintf("PM2DOCK_RESTARTS=%d", a.Restarts), "PM2DOCK_WINDOW=" + a.Window,
		"PM2DOCK_AT=" + a.At.UTC().Format(time.RFC3339),
	}
}

// Guidance names the next commands for a service and the likely cause.
func Guidance(kind, service, reason string) string {
	logs := fmt.Sprintf("`pm2dock logs %s --since 15m --level warn`", service)
	retry := fmt.Sprintf("`pm2dock start %s`", service)
	switch {
	case kind == Recovered:
		return ""
	case strings.Contains(reason, "OOM killed"):
		return "likely cause: the container ran out of memory; raise its memory limit (compose mem_limit / deploy.resources.limits.memory) or lower its use. Look at " + logs + ", then retry with " + retry + "."
	case kind == PortConflict:
		return "stop what holds the port (named in the reason) or change the published port in the compose file, then " + retry + "."
	case kind == ImageUnavailable:
		return "build or pull the image (`docker image ls` shows what is here), or fix pull: in pm2dock.yaml, then " + retry + "."
	}
	return "look at " + logs + " for why it exits, fix it, then retry with " + retry + "."
}
