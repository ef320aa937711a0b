# kobako — the two commands a newcomer needs:
#   make run    build kobako, then drop into the article's container:
#               kobako run -it --rm --memory 10m --cpus 0.3 busybox sh
#   make test   go vet, unit tests and end-to-end tests (as root, via sudo),
#               then the cgroup tests again in a cgroup v2 guest (make test-v2)
# Everything is built as you; only what needs root runs through sudo.

GO       ?= go
BIN      := $(CURDIR)/bin/kobako
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
AS_ROOT  := $(CURDIR)/scripts/as-root
# A static binary: the container's init is this same file, re-executed.
export CGO_ENABLED := 0

.PHONY: build run test bench setup clean

build: setup
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kobako

# Installs what is missing (busybox-static …) and checks Go.
setup:
	@$(CURDIR)/scripts/setup.sh

run: build
	$(AS_ROOT) $(BIN) run -it --rm --memory 10m --cpus 0.3 busybox sh

# -p 1: one package at a time, so that the CPU-limit test measures a
# container's share on an otherwise quiet machine.
test: build
	$(GO) vet ./...
	KOBAKO_BIN=$(BIN) $(GO) test -p 1 -exec $(AS_ROOT) -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory test-v2

# test-v2: scripts/v2-guest/make.mk
include scripts/v2-guest/make.mk

bench: build
	$(CURDIR)/scripts/bench.sh $(BIN)

clean:
	rm -rf bin
