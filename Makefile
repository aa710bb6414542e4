# pm2dock — build, provision, test. `make test` and `make demo` work on a fresh
# Debian machine as root: they provision what they need first (scripts/provision.sh).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
BIN := bin/pm2dock
# The one version number: pm2dock version, and every npm package (scripts/npm-pack.sh).
VERSION := $(shell cat VERSION)
LDFLAGS := -X github.com/pm2dock/pm2dock/internal/buildinfo.Version=$(VERSION)
E2E_TIMEOUT ?= 30m

.PHONY: all build npm provision provision-browser provision-engines images test lint unit fuzz-short e2e cross clean demo bench fuzz faults soak

all: build

# Static, as the npm packages ship it (scripts/npm-pack.sh): no C library mapped
# into every shim (1.4 MB of RSS each when linked dynamically).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pm2dock

# npm packages into dist/npm/: pm2dock (launcher, Nx plugin, PM2 helper) and
# @pm2dock/<os>-<cpu> per platform, cross-built (README "Install").
npm:
	scripts/npm-pack.sh dist/npm

provision:
	scripts/provision.sh

# Headless Chromium for the dashboard's browser test and bench row (not the demo).
provision-browser:
	scripts/provision-browser.sh

# openssh-server and podman for the engine tests (ssh://, Podman's API).
provision-engines:
	scripts/provision-engines.sh

images:
	scripts/build-images.sh

# The README's test command: provision, then every check CI relies on.
test: provision provision-browser provision-engines lint unit fuzz-short e2e cross

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

# A short run of every fuzz target (seeds in testdata/fuzz); `make fuzz` runs long.
fuzz-short:
	FUZZTIME=5s scripts/fuzz.sh

fuzz:
	FUZZTIME=$${FUZZTIME:-2m} scripts/fuzz.sh

# Every fault drill, FAULT_RUNS times, summarised as the table of docs/reliability.md#fault-drills.
# (make test runs each drill once.)
FAULT_RUNS ?= 3
faults: provision
	set -o pipefail; PM2DOCK_E2E=1 PM2DOCK_E2E_DISALLOW_SKIP=1 PM2DOCK_FAULT_DOCKERD=1 $(GO) test -count=$(FAULT_RUNS) -timeout $(E2E_TIMEOUT) \
	  -run 'TestFault|TestStoreKeeps|TestFullLog|TestChatty|TestHostile|TestHangingAlert|TestShellMetacharacters' -v ./test/e2e/ | tee /tmp/pm2dock-faults.log | scripts/fault-table.sh

# The stack under random faults for SOAK_MINUTES (test/e2e/soak_test.go: the
# menu, the checks, the table). SOAK_SEED replays a run. make test runs 2 minutes
# (without the dockerd restart, as its drill).
SOAK_MINUTES ?= 10
soak: provision
	set -o pipefail; PM2DOCK_E2E=1 PM2DOCK_E2E_DISALLOW_SKIP=1 PM2DOCK_FAULT_DOCKERD=1 SOAK_MINUTES=$(SOAK_MINUTES) $(GO) test -count=1 -timeout $$(( $(SOAK_MINUTES) * 3 + 15 ))m -run '^TestSoak$$' -v ./test/e2e/ | tee /tmp/pm2dock-soak.log | grep -v '^=== '

# test/e2e, and the tests of single packages against a real PM2 daemon (they
# skip without PM2DOCK_E2E=1, so the unit run does not hold them).
e2e:
	PM2DOCK_E2E=1 PM2DOCK_E2E_DISALLOW_SKIP=1 $(GO) test -count=1 -timeout $(E2E_TIMEOUT) ./test/e2e/... ./internal/pm2/rpc/

cross:
	GOOS=darwin $(GO) build ./...
	GOOS=windows $(GO) build ./...

# The README's main command: provision, then the demo stack under PM2.
demo:
	scripts/demo.sh

# Side-by-side measurements against the baseline tools (docs/benchmarks.md).
bench: provision provision-browser build
	$(GO) run ./internal/testsupport/bench -root .

clean:
	rm -rf bin .cache
