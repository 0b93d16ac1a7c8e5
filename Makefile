# The two commands that do everything on a fresh machine:
#   make run    the whole product locally, against real emulators
#   make test   vet, unit, integration, CDK and end-to-end tests
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export NODE_NO_WARNINGS := 1

FUNCTIONS := $(notdir $(wildcard functions/*))
NODE_DEPS := infra/node_modules/.package-lock.json
GOFLAGS_RELEASE := -tags lambda.norpc -trimpath -ldflags "-s -w"

.PHONY: help run test deps vet build clean

help:
	@echo "make run    start the local stack (API on :8080, DynamoDB :8000, Cognito :9229, SES :8005)"
	@echo "make test   run every test"
	@echo "make build  build each function's bootstrap for Lambda (arm64) into bin/"

# The emulators and the CDK CLI, pinned by infra/package-lock.json.
deps: $(NODE_DEPS)
$(NODE_DEPS): infra/package.json infra/package-lock.json
	cd infra && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

run: deps
	go run ./infra/local/run

vet:
	go vet ./...

test: deps vet
	go test -json -count=1 -timeout 30m ./... | go run ./infra/tools/testsummary

# One bootstrap per function, as Lambda's provided.al2023 runtime runs it.
build: $(addprefix bin/,$(addsuffix /bootstrap,$(FUNCTIONS)))
bin/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_RELEASE) -o $@ ./functions/$*
FORCE:

clean:
	rm -rf bin cdk.out
