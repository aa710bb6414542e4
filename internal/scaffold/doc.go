// Package scaffold is the logic of `pm2dock init`: it writes a commented
// pm2dock.yaml from the compose project it finds (RenderProfile, WriteProfile)
// and creates or updates an Nx project.json whose nx:run-commands targets run
// pm2dock (WriteNxProject).
//
// The Nx targets are the contract between pm2dock and a workspace's task
// runner:
//
//   - start, stop, restart, status, logs, events, wait, prune run `pm2dock --dir=ROOT VERB`
//     for the whole stack. nx:run-commands appends whatever is typed after the
//     target (forwardAllArgs, its default), so `nx run services:logs db
//     --since=1h` runs `pm2dock --dir=ROOT logs db --since=1h`. ({args.x}
//     interpolation is not used: a command holding it forwards nothing else.)
//   - VERB-KEY (start-db, …) for each service key and every verb but prune:
//     what other projects name in dependsOn ("services:start-db").
//   - All have cache: false; start and restart say continuous: false (they
//     exit once the services are healthy); start, stop and restart say
//     parallelism: false, so that Nx never runs two of them at once against
//     the same PM2 apps (two apps depending on start-db and start-auth).
//   - ROOT is the project's folder relative to the workspace root, where
//     run-commands runs; profile discovery starts there. pm2dock itself is a
//     path recorded in the commands (see RecordedBin), never looked up on PATH.
//
// Nx runs a command line through a shell, so every generated part is a
// validated word (service keys pass profile.ValidKey) or single-quoted.
//
// Updating a project.json is a byte-preserving merge (Merge): the generator
// owns executor, cache, continuous, parallelism, options.command and
// metadata.description
// of its own targets; every other target, field, comment and key order stays
// as written, and a second run with the same inputs changes no byte.
package scaffold
