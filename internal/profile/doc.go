// Package profile loads pm2dock.yaml and the compose project it points at, and
// resolves every managed service with its defaults applied.
//
// # The file
//
// pm2dock.yaml is found with -f/--file, else PM2DOCK_FILE, else in the current
// folder or its nearest parent (like compose). Without one ("zero-config"),
// every service of the compose file in the current folder is managed with the
// defaults. Relative paths resolve against the profile's folder.
//
//	compose:
//	  files: [docker-compose.yml]   # default: compose's own default names
//	  project: devstack             # default: compose's rule (name:, COMPOSE_PROJECT_NAME, folder)
//	  profiles: [debug]             # compose profiles to enable
//	  env_files: [.env.local]       # default: compose's .env
//	pm2:
//	  namespace: docker             # default: the compose project name
//	state_dir: .pm2dock/state
//	snapshot_dir: .pm2dock/snapshots  # pm2dock snapshot's files (docs/contracts.md#snapshots)
//	logs:
//	  dir: .pm2dock/logs
//	  max_age: 168h
//	  max_size: 1GiB
//	  segment_size: 64MiB
//	engine:
//	  context: build-box            # default: as the docker CLI chooses (DOCKER_HOST, DOCKER_CONTEXT, current context)
//	alerts:
//	  command: ["./scripts/alert.sh"]
//	  webhook: http://127.0.0.1:9000/pm2dock
//	defaults:                       # each service inherits; its own keys win
//	  pull: missing                 # missing | always | never
//	  start_timeout: 120s
//	  restart: {max: 5, window: 10m, delay: 2s, max_delay: 1m, on_unhealthy: 0s}
//	services:
//	  db:                           # the PM2 app name
//	    service: postgres           # compose service; default: the key
//	    require_env: [POSTGRES_PASSWORD]
//
// Unknown keys are errors naming the file, line and key. Service keys must be
// safe as PM2 app names and file names: a letter or digit, then letters,
// digits, '-' or '_', at most 63 characters, not all digits (PM2 would read an
// id), not "all".
//
// Durations are Go durations (90s, 10m, 168h); sizes are bytes with an
// optional KB/MB/GB (1000-based) or KiB/MiB/GiB (1024-based) suffix.
package profile
