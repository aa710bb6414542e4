// Package e2e holds pm2dock's integration tests against real components: a
// Docker engine, the compose plugin, PM2, Nx, and the locally built PostgreSQL,
// fixture and auth stand-in images. They skip without PM2DOCK_E2E=1 and fail
// instead of skipping under PM2DOCK_E2E_DISALLOW_SKIP=1 (CI). `make test` runs them.
package e2e
