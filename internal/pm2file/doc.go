// Package pm2file keeps the file PM2 reads a service's recent output from:
// `pm2 logs NAME --lines N --nostream` (and the history `pm2 logs NAME`
// prints before it streams), `pm2 show NAME`'s log paths, `pm2 flush`.
//
// # Who writes it
//
// The shim, not PM2. The ecosystem gives PM2 this path as the app's out_file
// and error_file. PM2's daemon opens no stream for a log path that contains
// "NULL" (lib/Utility.js, startLogging: the test that also skips
// /dev/null; docs/pm2-facts.md#logs), so it never writes the file and
// never fails to spawn a shim because the file cannot be opened (a read-only
// or full log folder), while its CLI reads the path like any other. The shim
// tees what it writes to its stdout and stderr (the container's lines, its
// own [pm2dock] messages) from the moment it holds its service's lock (a
// message before that, such as a broken profile, is in the state file only)
// into the file, byte for byte — where PM2's own file would turn bytes that
// are not UTF-8 into U+FFFD.
//
// # Layout
//
//	<logs.dir>/<service>/pm2.NULL.log
//
// stdout and stderr in one file, in the order the shim wrote them (PM2
// reads one path once). The log store ignores the file (not a segment
// name).
//
// # Bounds
//
// It is a window of recent output, not the record: the log store is the
// history. Writes are buffered and reach the file within FlushEvery. When it
// passes Max bytes it is cut to its last Max/2, at a line start, by writing
// those to a temporary file renamed over it (where that copy cannot be made,
// the file is emptied instead: the bound comes first). `pm2 flush`
// (truncation) is fine: the shim appends. A file that cannot be written
// (full or read-only disk) drops what it cannot write and is tried again a
// second later; a file removed or replaced under the shim is opened again by
// its path within seconds. It never slows or stops supervision.
package pm2file
