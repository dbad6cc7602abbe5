# Copyright The netlink_exporter Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
# http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

# Targets not defined here (style, format, vet, lint, test-short, build,
# crossbuild, tarball, docker, clean, deps, unused, promu, ...) come from
# Makefile.common as common-<target>.
include Makefile.common

.DEFAULT_GOAL := all

# BENCH_FLAGS is passed to cmd/netlink-bench, e.g. make bench BENCH_FLAGS=-quick
BENCH_FLAGS ?=

.PHONY: all
all: style vet test build

# The README's test command. Integration tests probe for root and the needed
# capabilities at run time and skip themselves without them, so run this as
# root to exercise everything (CI does).
#
# -p 1 tests one package at a time: the integration tests of every package
# contend for the kernel's RTNL lock, and one package's bursts of thousands
# of links would stall another's startups and shutdowns for seconds.
.PHONY: test
test:
	@echo ">> running all tests"
	$(GO) test -race -count=1 -p 1 ./...
	@echo ">> checking deployment artifacts (deploy/)"
	cd $(DEPLOY_DIR) && $(GO) test -count=1 ./...

# Like test, but refuses to run where the integration tests would skip.
.PHONY: test-integration
test-integration:
	@if [ "$$(id -u)" != 0 ]; then \
		echo "!! test-integration must run as root: the integration tests skip themselves otherwise" >&2; \
		exit 1; \
	fi
	$(MAKE) test

# Prometheus 3 and its promtool, which the end-to-end tests and the rules'
# unit tests run beside Debian's Prometheus 2. The module
# internal/tools/prometheus pins the version; the binaries go to a cache
# directory that git ignores, and are rebuilt only when that module's go.mod
# or go.sum changes. The first build takes minutes (DEVELOPERS.md). The
# tests find the binaries in PROMETHEUS3_DIR: set it in the environment to
# keep them elsewhere. Web UI assets are not built: the API is what the
# tests use.
PROMETHEUS3_MODULE := internal/tools/prometheus
PROMETHEUS3_DIR    ?= $(CURDIR)/.cache/prometheus3
PROMETHEUS3_BINS   := $(PROMETHEUS3_DIR)/prometheus $(PROMETHEUS3_DIR)/promtool
export PROMETHEUS3_DIR

.PHONY: prometheus3
prometheus3: $(PROMETHEUS3_BINS)

# One go build makes both binaries; they are moved into place only once
# both are whole, so that an interrupted build is not taken as up to date.
$(PROMETHEUS3_BINS) &: $(PROMETHEUS3_MODULE)/go.mod $(PROMETHEUS3_MODULE)/go.sum
	@echo ">> building Prometheus 3 and promtool into $(PROMETHEUS3_DIR)"
	@rm -rf $(PROMETHEUS3_DIR)/.tmp && mkdir -p $(PROMETHEUS3_DIR)/.tmp
	cd $(PROMETHEUS3_MODULE) && \
		$(GO) mod download github.com/prometheus/prometheus && \
		moddir=$$($(GO) list -m -f '{{.Dir}}' github.com/prometheus/prometheus) && \
		CGO_ENABLED=0 $(GO) build -trimpath \
			-ldflags "-X $(VERSION_PKG).Version=$$(cat $$moddir/VERSION)" \
			-o $(PROMETHEUS3_DIR)/.tmp/ \
			github.com/prometheus/prometheus/cmd/prometheus \
			github.com/prometheus/prometheus/cmd/promtool
	mv $(PROMETHEUS3_DIR)/.tmp/prometheus $(PROMETHEUS3_DIR)/.tmp/promtool $(PROMETHEUS3_DIR)/
	@rmdir $(PROMETHEUS3_DIR)/.tmp
	$(PROMETHEUS3_DIR)/prometheus --version

# Benchmarks against a live kernel (see cmd/netlink-bench); needs root.
.PHONY: bench
bench:
	$(GO) run ./cmd/netlink-bench $(BENCH_FLAGS)

# The deploy/ module holds only the checks of the deployment artifacts; vet,
# deps and tidiness cover it as well as the exporter.
DEPLOY_DIR := deploy

.PHONY: vet
vet: common-vet
	cd $(DEPLOY_DIR) && $(GO) vet ./...

.PHONY: deps
deps: common-deps
	cd $(DEPLOY_DIR) && $(GO) mod download
	cd $(PROMETHEUS3_MODULE) && $(GO) mod download

.PHONY: unused
unused: common-unused
	cd $(DEPLOY_DIR) && $(GO) mod tidy -diff
	cd $(PROMETHEUS3_MODULE) && $(GO) mod tidy -diff
