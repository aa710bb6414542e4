// Package harness holds the helpers of pm2dock's integration tests, which run
// against the real components (docs/architecture.md#test-rig): a Docker engine, the compose plugin,
// PM2 from the workspace's node_modules, the locally built images, and the
// distribution registry.
//
//   - Require skips a test unless PM2DOCK_E2E=1; with PM2DOCK_E2E_DISALLOW_SKIP=1
//     (set by CI) a skip becomes a failure, so a missing component cannot pass
//     quietly.
//   - NewPM2 gives a test its own PM2_HOME and kills that daemon in cleanup.
//   - NewProject gives a test a unique compose project name and removes every
//     container, network and volume carrying its label in cleanup, even when
//     the test fails.
//   - StartRegistry runs a registry on 127.0.0.1 for pull tests.
package harness
