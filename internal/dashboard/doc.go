// Package dashboard serves `pm2dock dashboard`: one local, read-only page of
// a profile's services (docs/contracts.md#dashboard), from files embedded in
// the binary (assets/: the page, its script and style, and uPlot, vendored
// with its licence in assets/vendor/uplot).
//
// # Routes
//
// Every route is GET (HEAD too) and needs the token (below). Times in
// parameters are as the commands take them: RFC 3339, a date, or a duration
// ago (90m, 24h); since defaults to an hour ago and until to now.
//
//	/                         the page
//	/assets/…                 its files
//	/api/status               {"at", "rows": [the rows of status --json], "pm2_source", "pm2_error", "engine_error"}
//	/api/events?since&until&service
//	                          {"since", "until", "events": [event records, as events --json], "truncated"}
//	/api/figures?since&until&service&buckets
//	                          {"since", "until", "services": {"db": [[unix ms, cpu %, mem bytes, limit bytes], …]}}
//	                          (the figures history, folded into at most buckets points, default 600)
//	/api/logs?service&since&until&level&tail
//	                          {"since", "until", "records": [log records as stored, as logs --json], "truncated"}:
//	                          exactly the lines of `pm2dock logs SERVICE --since --until --level [--tail]`, the first 5000
//	                          (with tail: the last tail)
//	/api/stream?logs=SERVICE&level=L
//	                          server-sent events: "status" (as /api/status) first and on every change, "event"
//	                          (an event record), "figure" ({"service", "point"}), and with logs= "log" (a record
//	                          of that service at or above level, from 2 s before the follow began: the page
//	                          shows each line once, whether fetched or streamed)
//
// A window's answer is cut at MaxEvents events or MaxLines lines, with
// "truncated": true.
//
// # Live updates
//
// One hub per server follows every source once, whatever the number of open
// pages: status.Watch (the change sources of `status --watch`: PM2's bus, the
// engine's events, the state files) collects the rows on each change and at
// least each Config.Interval; the journal and the figures history are
// followed as `events -F` follows; the log store is followed only while a
// page follows lines. Each page is a subscriber to the hub; a page too slow
// to read its stream is dropped and reconnects (the browser's EventSource
// does it), reading its window again.
//
// # Safety
//
// The server only reads: no route starts, stops or restarts anything, and any
// method but GET and HEAD is refused (405). A request must carry the token
// printed in the URL (?token=, or Authorization: Bearer), compared in
// constant time (401 without). Its Host must be an IP address or localhost
// with the server's port (421 otherwise: a DNS-rebinding page names its own
// host). A request whose Origin is not the server's own, or whose
// Sec-Fetch-Site says another site made it, is refused (403), but for a
// top-level navigation to the page (what `--open`'s redirect file and a link
// make: the other page cannot read it, and the page cannot be framed); no
// answer has CORS headers, so another site's page cannot read one. Answers forbid
// framing, sniffing, caching and referrers (the URL holds the token), and the
// page's Content-Security-Policy allows only its own scripts and styles.
// Nothing the page shows holds a secret: the rows are status's, the lines the
// log store's, and neither the profile's env nor the compose file's reaches
// it.
package dashboard
