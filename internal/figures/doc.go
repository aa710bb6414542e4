// Package figures is a service's figures history: its container's CPU and
// memory over time, as the dashboard graphs them (docs/contracts.md#figures-history).
// The shim follows the engine's stats stream (one sample a second, the
// figures `status` shows) and folds the samples of each Period into one
// point: the mean CPU and the peak memory of those samples.
//
// # Layout
//
// The history is a log store (package logstore) of its own, a
// logstore.Facts as the event journal is, in the folder _figures of the
// profile's logs.dir, beside the event journal's _events:
//
//	<logs.dir>/_figures/db/20261202T101018.123456789Z.jsonl
//
// Every rule of the log store holds: one writer per service (its shim),
// segments named by their first record's time, seek by time, torn last lines
// skipped, rotation at midnight UTC and at SegmentSize, and retention
// (logs.max_age, logs.max_size; `pm2dock prune` applies it here too). A day
// of one service is 17 280 points, about 2.5 MB.
//
// # Records
//
// A point is one log store record: ts is the time of the period's last
// sample (UTC), stream stdout, level info, and msg the point's JSON object,
// in this key order:
//
//	{"container":"3f2a…","cpu_percent":12.5,"mem_bytes":52428800,"mem_limit_bytes":0,"samples":5}
//
// cpu_percent is the mean, in % of one core, of the period's samples;
// mem_bytes the largest (used less the inactive page cache, as `docker
// stats` shows it); mem_limit_bytes 0 when unlimited; samples how many
// samples the point folds (1 to 5: a period ends early when the container
// changes or the shim stops). A record whose msg is not such an object is
// skipped by readers like a torn line.
package figures
