# w3bd — two commands on a fresh machine: `make demo` and `make test`.
GO ?= go
BUILD_DIR ?= build
W3BD := $(BUILD_DIR)/w3bd
FUZZTIME ?= 10s
PKGS_UNIT := ./x/... ./app/... ./testutil/... ./cmd/... ./sdk/... ./gateway/...

.PHONY: all build install demo test test-unit test-race test-e2e test-fuzz lint proto-gen bench bench-publish bench-applets bench-ingest localnet clean setup

all: build

setup:
	@./scripts/setup.sh

build:
	$(GO) build -o $(W3BD) ./cmd/w3bd

install:
	$(GO) install ./cmd/w3bd

## demo: build, start a single-node chain in a temporary home, walk the whole journey, stop.
demo: setup build
	W3BD=$(abspath $(W3BD)) ./scripts/demo.sh

## test: everything CI runs: vet, unit tests under -race, short fuzzing, in-process network, real-binary e2e.
test: setup lint test-race test-fuzz test-e2e

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.\(gw\.\)\?go$$'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)

test-unit:
	$(GO) test -count=1 $(PKGS_UNIT)

test-race:
	$(GO) test -count=1 -race $(PKGS_UNIT)

test-fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzPublish$$' -fuzztime=$(FUZZTIME) ./x/streams/keeper/
	$(GO) test -run='^$$' -fuzz='^FuzzParseEnvelopesJSON$$' -fuzztime=$(FUZZTIME) ./x/streams/types/
	$(GO) test -run='^$$' -fuzz='^FuzzInstrument$$' -fuzztime=$(FUZZTIME) ./x/applets/vm/
	$(GO) test -run='^$$' -fuzz='^FuzzVerify$$' -fuzztime=$(FUZZTIME) ./x/devices/devicekey/
	$(GO) test -run='^$$' -fuzz='^FuzzNormalizePublicKey$$' -fuzztime=$(FUZZTIME) ./x/devices/devicekey/

test-e2e:
	$(GO) test -count=1 -timeout 30m ./tests/...

## proto-gen: regenerate the committed *.pb.go / *.pb.gw.go from proto/.
proto-gen:
	./scripts/protocgen.sh

## bench: the benchmarks whose figures the module READMEs quote (not run by CI).
bench: bench-publish bench-applets

bench-applets:
	./scripts/bench-applets.sh

bench-publish:
	./scripts/bench-publish.sh

## bench-ingest: readings/s through the gateway over MQTT vs bank sends/s, on one node.
bench-ingest: setup build
	./scripts/bench-ingest.sh

## localnet: write a 4-validator network on loopback under ./localnet (see networks/README.md).
localnet: build
	./scripts/localnet.sh

clean:
	rm -rf $(BUILD_DIR) localnet
