// Package state is the state folder (profile state_dir, default
// .pm2dock/state): the files through which `pm2dock start`, the shims and
// `pm2dock status` speak to each other. Dir names every file in it; no other
// package builds a path inside it.
//
// The folder holds, for a profile:
//
//	<service>.json               the shim's state file (File): what the shim of one
//	                             service is doing, its container, why it last failed,
//	                             its restart history. Only that service's shim writes
//	                             it — and, for a shim that fails before it can
//	                             supervise, `pm2dock run` on its behalf — always
//	                             atomically (package atomicfile), so a reader never
//	                             sees a torn file. It holds no environment values.
//	<service>.reset.<token>      a person's start/restart request, one file per
//	                             request (token: 24 hex digits). The next shim takes
//	                             it (removes it), clears the failure history and
//	                             records the token in File.Requests, by which the
//	                             start recognises the state written for it.
//	.<service>.lock              serialises start/stop decisions for the service
//	                             across pm2dock processes (package flock).
//	.<service>.shim              held by a shim for its whole life: one shim per
//	                             service, ever.
//	.compose-up.lock             held by a shim around its `docker compose up`
//	                             while a network of its service does not exist
//	                             yet: compose would create it twice.
//	<service>.compose-override.json  a compose file setting the service's engine
//	                             restart policy to none, passed last to its
//	                             `docker compose up` (one supervisor per failure).
//	<service>.stats.json         the container's latest resource figures (Stats),
//	                             rewritten by its shim once a second.
//	handoff.env                  the shell variables the compose project reads,
//	                             handed to the shims without PM2 seeing them
//	                             (package handoff; mode 0600).
//	ecosystem.json               the PM2 ecosystem `pm2dock start` hands to PM2.
//	alerts/                      alerts spooled for the detached deliverer.
//	alerts.log                   what the deliverer did with each.
//	.<name>.*.tmp                a write in progress (atomicfile); left only by a
//	                             crash between create and rename.
package state
