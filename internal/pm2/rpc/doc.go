// Package rpc is a read-only client for the PM2 daemon's RPC socket, and a
// parser for `pm2 jlist`, which prints the same process list.
//
// # Why read-only
//
// pm2dock changes PM2's state through the pm2 CLI only. The daemon trusts its
// socket: a malformed mutating call (prepare, for one) throws inside it, and it
// answers by running `pm2 update`, which restarts every app. So the only
// requests this package can put on the wire are the getMonitorData call and
// the methods listing. Each is a fixed literal body chosen by an unexported
// constant, and the connection is written in one function; tests hold both
// facts in place.
//
// # The socket
//
// The daemon listens on $PM2_HOME/rpc.sock, a unix socket (on Windows the
// named pipe \\.\pipe\rpc.sock, which this package does not dial). The file
// may outlive the daemon; a refused connection means no daemon, as does a
// missing file. Socket paths are limited to about 100 bytes by the kernel,
// so PM2_HOME must be short.
//
// # Frames
//
// Everything on the socket is a stream of amp frames (the "amp" npm package,
// used by PM2's fork of axon). A frame begins with one byte whose high nibble
// is the protocol version, always 1, and whose low nibble is the number of
// arguments, 0 to 15. Each argument follows as a four-byte big-endian length
// and that many bytes. Nothing else delimits frames: a reader that loses count
// of one length has lost the stream, so decoding errors here are final.
//
// An argument's first two bytes say how to read the rest: "s:" a UTF-8
// string, "j:" JSON text, and anything else is raw bytes. The prefix is all
// there is, so raw bytes that happen to start with "s:" read back as a string.
// The Decoder keeps j: payloads as bytes and checks them only when an argument
// is unmarshalled, so a bad payload fails that argument, not the stream.
//
// PM2's own stream parser has two blind spots that Encode stays clear of: it
// never checks the version nibble, and it cannot end a frame that has no
// arguments (it reads the next frame's bytes as their lengths), nor emit a
// frame whose last argument is empty until another byte arrives. Encode
// refuses empty frames; every argument this package sends has a prefix, so
// none is empty.
//
// # Requests and replies
//
// A request is two arguments: a JSON body and a string id chosen by the
// client, for example
//
//	j:{"type":"call","method":"getMonitorData","args":[{}]}  s:pm2dock:0
//	j:{"type":"methods"}                                     s:pm2dock:1
//
// The reply carries the same id last, after a JSON body that is
// {"args":[result]} on success, {"error":message,"stack":…} or
// {"error":value} on failure, and {"methods":{name:{name,params}}} for the
// listing. Requests may be pipelined, and the daemon answers in the order its
// work finishes, not the order of asking: replies are matched by id. A reply
// to an id nobody waits for is dropped.
//
// # The event bus
//
// The daemon publishes on $PM2_HOME/pub.sock (axon pub-emitter): every frame
// is [s:topic, j:data], sent to every connected socket, and nothing is ever
// read from a subscriber. Subscribe only reads. Topics are process:event
// (data {event, process, at}; process is the app's whole pm2_env, environment
// included, so only its name, namespace and pm_id are decoded), log:out and
// log:err (every line of every app: a subscriber must keep reading, or the
// daemon buffers for it), and pm2:kill.
//
// # The process list
//
// getMonitorData's result is an array of {pid, name, pm_id, monit, pm2_env}.
// pm2_env holds PM2's bookkeeping (status, restart_time, pm_uptime…) mixed
// with the whole environment of the app, which is why Process exposes named
// fields and keeps the rest only as raw JSON. Field types have drifted across
// PM2 versions, and exit_code is absent until the app first exits, so fields
// are read leniently.
package rpc
