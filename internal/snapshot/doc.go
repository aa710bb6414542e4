// Package snapshot keeps the content of a service's own named volumes as
// files and puts it back: `pm2dock snapshot`, `restore` and `snapshots`
// (docs/contracts.md#snapshots). It reads and writes volumes only through
// the Engine API's archive endpoints, so an image without a shell or tar
// works.
//
// # Format
//
// A snapshot is a folder <snapshot_dir>/<service>/<name>/ holding, per named
// volume, <source>.tar — the tar stream the engine gives for the volume's
// mount path in the service's container (GET /containers/{id}/archive), whose
// top entry is the path's last element — and manifest.json:
//
//	{"format": 1, "service": "db", "name": "before-migration",
//	 "image": "pm2dock-test/postgres:15", "image_id": "sha256:…",
//	 "taken_at": "2026-12-08T00:20:00Z",
//	 "volumes": [{"source": "pgdata", "volume": "devstack_pgdata",
//	              "target": "/var/lib/postgresql/data", "file": "pgdata.tar",
//	              "size": 48412160, "sha256": "…"}]}
//
// A snapshot is written into <name>.partial/ and renamed to <name>/ once
// every file and the manifest are synced: a folder without the suffix is
// whole, and a .partial one (an interrupted take) is removed by the next
// snapshot of the service. Names: a letter or digit, then letters, digits,
// '.', '_' or '-', at most 64; no path.
//
// A restore checks every file's size and SHA-256 before it changes anything,
// then, per volume, removes the service's containers and the volume, creates
// the volume again with its labels, driver and options, and extracts the tar
// into it through a helper container of the snapshot's image that is created
// and never started. Before it removes anything it writes
// <state_dir>/<service>.restoring, {"snapshot": NAME, "volumes": {VOLUME:
// {"labels", "driver", "options"}}}: the volumes' configs as they were, which
// a second run uses for a volume the first had removed already. While it is
// there a shim refuses to start the service (exit 2) until a restore of that
// snapshot finishes, so the service never runs on half-restored data.
package snapshot
