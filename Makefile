# The two commands that do everything on a fresh machine:
#   make run    the whole product locally, against real emulators
#   make test   vet, unit, integration, CDK and end-to-end tests
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
# jsii names the Node.js majors it should not call end-of-life (the CDK tests).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
export NODE_NO_WARNINGS := 1

FUNCTIONS := $(notdir $(wildcard functions/*))
NODE_DEPS := infra/node_modules/.package-lock.json
GOFLAGS_RELEASE := -tags lambda.norpc -trimpath -ldflags "-s -w"

# make test runs each fuzz target for a fixed number of executions
# (infra/tools/fuzz-short.sh); make fuzz runs each for FUZZTIME.
FUZZTIME ?= 5m

.PHONY: help run test deps vet build clean bench bench-backlog bench-import bench-counts load fuzz model import-10k

help:
	@echo "make run     start the local stack (console and API on :8080, DynamoDB :8000, Cognito :9229, SES :8005)"
	@echo "make test    run every test (installs Debian's chromium for the browser tests when missing)"
	@echo "make build   build each function's bootstrap for Lambda (arm64) into bin/"
	@echo "make synth   the CloudFormation template, offline; make deploy deploys it"
	@echo "make bench   init instructions and times, sizes, AWS calls, capacity, the sweep at 1,000 due, a bulk invite of 100, an import of 1,000 rows (docs/performance.md)"
	@echo "make bench-backlog  the sweep draining 1,000 and 100,000 due invitations, 1,000 and 10,000 ended accesses (long)"
	@echo "make bench-import   an import of 10,000 rows through the queue: wall time, invitations a second, the send rate held (long)"
	@echo "make bench-counts   the counts and a role's rename and delete at 100, 10,000 and 100,000 members: consumed capacity (long)"
	@echo "make load    a bounded run of mixed traffic through the local gateway"
	@echo "make import-10k  an import of 10,000 rows through the queue, killed half-way and resumed: wall time, send rate (long)"
	@echo "make model   a long model-based run: make model STEPS=5000 SEED=42 (no SEED: SEEDS=n random ones, printed)"

# The emulators and the CDK CLI, pinned by infra/package-lock.json.
deps: $(NODE_DEPS)
$(NODE_DEPS): infra/package.json infra/package-lock.json
	cd infra && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

run: deps
	go run ./infra/local/run

vet:
	go vet ./...

# The handler benchmarks run once each too, so that they cannot rot unseen;
# the use cases and the in-memory store run again under the race detector
# (bulk invites and imports share state between their workers).
test: deps vet chromium cfn-lint
	go test -json -count=1 -timeout 45m ./... | go run ./infra/tools/testsummary
	go test -race -count=1 ./shared/app/... ./shared/store/memstore/
	go test -count=1 -run '^$$' -bench . -benchtime 1x ./shared/api/ ./shared/httpapi/
	env -u FUZZTIME infra/tools/fuzz-short.sh

# A longer fuzz run, FUZZTIME per target: make fuzz FUZZTIME=30m
fuzz:
	FUZZTIME=$(FUZZTIME) infra/tools/fuzz-short.sh

# Needs valgrind (callgrind counts each function's init) and builds AWS's
# Runtime Interface Emulator from the module cache (go.mod's tool directive).
bench: deps
	go run ./infra/bench

bench-backlog: deps
	go run ./infra/bench -only backlog -due 1000,100000 -access 1000,10000

bench-import: deps
	go run ./infra/bench -only import -import 10000

# The cost tests of the counts and the role catalogue with a customer of
# 100,000 members too (loaded with BatchWriteItem; not part of make test).
bench-counts: deps
	PA_COUNTS_100K=1 go test -count=1 -timeout 60m -v -run 'TestReadingTheCountsCostsTheSameAt100AndManyMembers|TestRenamingAndDeletingARoleCostTheSameAt100AndManyMembers' ./infra/local/dynamotest | grep -E 'counts_test|seed_test|^(--- |ok|FAIL|PASS)'

load: deps
	go run ./infra/local/load

# An import of 10,000 rows on the local stack, through the queue and the
# import-users consumer, killed half-way and resumed (long, not part of make
# test): prints the wall time and the send rate held. IMPORT_SEND_RATE
# (default 200 here) and IMPORT_CONCURRENCY may be set.
IMPORT_SEND_RATE ?= 200
import-10k: deps
	IMPORT_SEND_RATE=$(IMPORT_SEND_RATE) go test -tags import10k -count=1 -timeout 60m -v -run 'TestImport10k$$' ./infra/local/e2e | grep -E '^(import-10k|--- |ok|FAIL|PASS)|\.go:[0-9]+:'

# The model-based test (infra/local/model): seeded, replayable sequences of
# STEPS random operations each, every answer predicted and every trace looked
# for. SEED replays one; without it SEEDS random seeds run (each printed).
# make test runs one fixed seed of 300 steps.
STEPS ?= 2000
SEED ?=
SEEDS ?= 1
model: deps
	MODEL_STEPS=$(STEPS) MODEL_SEED=$(SEED) MODEL_SEEDS=$(SEEDS) go test -count=1 -timeout 0 -v -run 'TestModel$$' ./infra/local/model

# One bootstrap per function, as Lambda's provided.al2023 runtime runs it.
build: $(addprefix bin/,$(addsuffix /bootstrap,$(FUNCTIONS)))
bin/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_RELEASE) -o $@ ./functions/$*
FORCE:

clean:
	rm -rf bin cdk.out

# cfn-lint checks the synthesized templates against CloudFormation's resource
# schemas (infra/cdk/cfnlint_test.go runs it in make test). Installed with pip
# only when the pinned version is not the one on the PATH.
CFN_LINT_VERSION := 1.51.0
.PHONY: cfn-lint
cfn-lint:
	@if [ "$$(cfn-lint --version 2>/dev/null)" != "cfn-lint $(CFN_LINT_VERSION)" ]; then \
	  echo "installing cfn-lint $(CFN_LINT_VERSION)"; \
	  python3 -m pip install --quiet "cfn-lint==$(CFN_LINT_VERSION)"; \
	fi

# ---- AWS: the CDK app in infra/cdk (cdk.json), with the CLI pinned in infra/ ----
CDK := infra/node_modules/.bin/cdk
# Example context so that `make synth` works with no arguments, offline; it
# is never used to deploy (cdk.json carries no defaults on purpose).
SYNTH_CONTEXT := -c adminEmail=admin@example.com -c senderEmail=no-reply@example.com -c portalUrl=https://portal.example.com
# make deploy CDK_ARGS="-c adminEmail=… -c senderEmail=…" (portalUrl and the rest are optional)
CDK_ARGS ?=

.PHONY: synth deploy
# No telemetry or version check from the CLI, and no instance-metadata
# probe for credentials when there are none (synth needs no account).
synth deploy: export CDK_DISABLE_CLI_TELEMETRY := true
synth deploy: export CDK_DISABLE_VERSION_CHECK := true
# jsii names the Node.js majors it should not warn about (as DEPRECATED above).
synth deploy: export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = $(shell node -p 'process.versions.node.split(".")[0]')
synth: export AWS_EC2_METADATA_DISABLED := true

# The templates and assets in cdk.out/, checked by the app's own validation and
# cfn-lint: the main stack (in AWS_REGION, us-east-1 when none is configured)
# and the edge stack (always us-east-1). Errors fail; warnings are shown (make
# test holds them to the one accepted in infra/cdk/cfnlint_test.go: CDK's own
# cross-region reference handler, when the main stack is not in us-east-1).
synth: deps build cfn-lint
	$(CDK) synth --no-notices --quiet $(SYNTH_CONTEXT) $(CDK_ARGS)
	cfn-lint --non-zero-exit-code error -- cdk.out/*.template.json
	@echo "cdk.out/: $$(cd cdk.out && ls *.template.json | tr '\n' ' ')written and linted"

# Deploys both stacks (the edge stack first) to the account of the current AWS
# credentials: the main one in their region, the edge one in us-east-1.
deploy: deps build
	$(CDK) deploy --all --no-notices $(CDK_ARGS)

# Debian's Chromium for the browser tests (infra/local/browser), installed only when missing.
.PHONY: chromium
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	fi
