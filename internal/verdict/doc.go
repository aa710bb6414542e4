// Package verdict is the one place that answers, for one service, "is it
// ready, or has it failed for good?" (docs/architecture.md#one-verdict).
//
// Judge is pure: from PM2's view of the app, the shim's state file, the
// engine's view of the container and what was asked and when, to the state
// word of docs/contracts.md#status-json, whether the answer is final, the
// exit code and the reason. Every command that decides readiness asks it:
// start's and restart's summaries and their wait (package stack), `pm2dock
// wait`, `status`, `status --check` and the dashboard (both through
// status.Collect). The callers gather the views; none decides on its own.
//
// Two kinds of question:
//   - a look (Input.Request nil): the service as PM2, the engine and the
//     state file show it now (status, wait, the dashboard);
//   - a request (a start or restart): the shim answering that request
//     (Request.AnsweredBy) reports through its state file's phase; its
//     ready, completed or failed is the verdict, and the request's timeout
//     ends it.
package verdict
