// Package logstore is pm2dock's log store (docs/contracts.md#log-store): the shim of each
// service appends its container's log lines to it, and `pm2dock logs` queries
// it by time window, level and pattern without scanning it.
//
// # Layout
//
// The store is a folder (the profile's logs.dir). Each service has its own
// folder in it, named by the service (the profile key; letters, digits, '_',
// '.', '-'), holding segment files:
//
//	<dir>/db/20261126T003740.123456789Z.jsonl
//	<dir>/db/20261126T101502.000000001Z.jsonl
//	<dir>/db/20261126T101502.000000001Z_0001.jsonl
//
// A segment is named by the timestamp of its first record, in UTC with
// nanoseconds, fixed width, so names sort in time order. When a new segment
// would get the name of an existing one (every record of a segment shares one
// nanosecond, or a write failed before any byte reached the file), a
// tie-breaker _0001 … _9999 is added; "_" sorts after ".", so the names still
// sort in order of creation. Other files in a service folder are ignored.
// Folders are created 0755 and files 0644, less the umask.
//
// Only the shim of a service writes its folder: PM2 runs one shim per
// service, and a restarting shim starts after the old one has exited. There
// is no lock file. Readers (`pm2dock logs`, status, prune) may run at any
// time; `pm2dock prune` and the shim's periodic retention only remove closed
// segments.
//
// # Records
//
// A segment holds records, one JSON object per line, each ending in '\n':
//
//	{"ts":"2026-11-26T00:37:40.123456789Z","service":"db","stream":"stderr","level":"error","msg":"…"}
//
// The keys are always written in this order. ts is the engine's timestamp
// (when the container wrote the line), in UTC with exactly nine fractional
// digits, so it has a fixed width and sits at a fixed offset: a reader finds
// a record's time without decoding the rest. stream is stdout or stderr;
// level is debug, info, warn, error or fatal, as Classify (or the shim's
// Classifier) found it when the line was stored.
//
// msg is the line as the container wrote it, without its newline. If it is
// valid UTF-8 it is a JSON string, escaping only '"', '\' and the control
// characters below U+0020 (\n, \r, \t, else \u00XX). Otherwise (binary data,
// a cut multi-byte sequence, Latin-1) nothing is replaced: msg holds the
// standard base64 (RFC 4648, padded) of the bytes and the record ends with
// "b64":true:
//
//	{"ts":"…","service":"db","stream":"stdout","level":"info","msg":"/w==","b64":true}
//
// So every byte sequence round-trips exactly. Messages may be up to
// MaxMsgSize (16 MiB); lines of a megabyte and more are ordinary.
//
// Within a service, records are in the order the engine delivered them,
// which is timestamp order. Readers assume it: a segment covers
// [its name's timestamp, the next segment's], and seeking binary-searches
// byte offsets by timestamp. If the engine's clock steps back, records are
// still stored as given and segment names still increase (a new segment is
// never named before the newest one), but a window around the step may miss
// or include the records out of order.
//
// # Rotation
//
// The writer starts a new segment with the first record after the active
// segment reached the segment size (logs.segment_size, default 64 MiB; so a
// segment exceeds it by at most one record) and with the first record of a
// later UTC day than the segment's name: no segment spans midnight.
//
// # Crashes and full disks
//
// The writer buffers records and writes them in whole lines, at least every
// FlushInterval. A crash can leave the last line of a segment torn: without
// its '\n', possibly followed by zeros after a power loss. Readers skip every
// line that has no '\n' or does not decode, so a torn line is never fatal.
// A restarted writer never appends after a torn line: it leaves that segment
// as it is (complete records are never deleted or truncated) and starts a new
// segment with its next record; the torn record was not stored, so the shim
// fetches it again from the engine (see Writer.LastTimestamp).
// An empty newest segment (created, then a crash) is removed on reopening.
//
// When a write fails, for instance on a full disk, the records whose bytes
// reached the file whole stay, the rest of the buffer is dropped (the shim's
// own stdout still carries those lines), the segment is closed and the next
// record starts a new segment, so a half-written line is never followed by
// more records in the same file. A new segment that received no byte is
// removed again. Writing resumes by itself when space returns.
//
// # Reading
//
// Query picks the first segment of a window by name and binary-searches
// inside it; Tail reads segments backwards from the end; Follow reads the
// newest segment for new complete lines when the file system reports a change
// in the service's folder (see notifier), or after a poll interval (200 ms by
// default) without one, and, at its end, the folder for a newer segment,
// which it moves to after reading the current one to its end once more.
//
// # Stores of facts
//
// The event journal (_events) and the figures history (_figures) are log
// stores of their own in logs.dir whose records hold facts rather than a
// container's lines: the same format, with a fact's JSON object in msg.
// Facts describes such a store; its Series writes a service's facts one
// record at a time, each flushed at once, and its iterators decode each
// record and skip those that hold no fact, like torn lines.
//
// # Retention
//
// Plan (pure) and Prune apply logs.max_age and logs.max_size per service to
// closed segments, i.e. all but the newest of a service. A segment's age is
// its last record's timestamp (read from the end of the file; its
// modification time if it holds no readable record). The newest segment is
// never removed or truncated.
package logstore
