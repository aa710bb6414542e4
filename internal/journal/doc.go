// Package journal is a service's event journal (docs/contracts.md#event-journal):
// the shim of each service records every transition of its service's life —
// start, adoption, readiness, health changes with the probe's output, exits
// with their exit code and OOM flag, completions, restarts, crash loops,
// stops, the engine going away and coming back — with its reason and who
// asked, and `pm2dock events` and `status -v` read it by time.
//
// # Layout
//
// The journal is a log store (package logstore) of its own, a
// logstore.Facts as the figures history is, in the folder _events of the
// profile's logs.dir:
//
//	<logs.dir>/_events/db/20261202T101018.123456789Z.jsonl
//
// "_events" can never be a service's folder (a service name starts with a
// letter or digit), so `pm2dock logs` never sees it. Every rule of the log
// store holds unchanged: one writer per service (its shim), segments named by
// their first record's time, seek by time, torn last lines skipped and never
// appended to, rotation at midnight UTC and at SegmentSize, and retention
// (logs.max_age and logs.max_size) that never removes the active segment.
//
// # Records
//
// An event is one log store record: ts is when the shim saw the transition
// (UTC, nanoseconds), stream is always stdout, level says how bad it is
// (info; warn for unhealthy and engine-down; error for exit and crash-loop),
// and msg is the event's own JSON object, in this key order:
//
//	{"event":"unhealthy","reason":"…","exit_code":null,"oom_killed":null,"health":"unhealthy","output":"…","by":"engine"}
//
// So a stored line reads
//
//	{"ts":"2026-12-02T10:10:18.123456789Z","service":"db","stream":"stdout","level":"warn","msg":"{\"event\":\"unhealthy\",…}"}
//
// and `pm2dock events --json` prints each event flat, ts and service first
// (docs/contracts.md#event-records). A record whose msg is not such an object
// (written by hand, cut by a crash) is skipped by readers like a torn line.
package journal
