# kobako — the three commands a newcomer needs:
#   make run       build kobako, then drop into the article's container:
#                  kobako run -it --rm --memory 10m --cpus 0.3 busybox sh
#   make test      go vet, unit tests and end-to-end tests (as root, via sudo),
#                  then the cgroup tests again in a cgroup v2 guest (make test-v2)
#   make tutorial  build kobako, then learn: kobako tutorial (LANG=ja… for Japanese)
# Everything is built as you; only what needs root runs through sudo.
# To keep kobako: make install [PREFIX=/usr/local] [DESTDIR=…]; make uninstall.

GO       ?= go
BIN      := $(CURDIR)/bin/kobako
# kobako pull's work, in a binary of its own next to kobako (cmd/kobako-pull
# says why): HTTP and TLS stay out of the file every container's init is.
PULL_BIN  = $(dir $(BIN))kobako-pull
# The container's init, a binary of its own so that every container starts
# a small program (cmd/kobako-init says why); kobako finds it next to itself.
INIT_BIN  = $(dir $(BIN))kobako-init
# kobako tutorial and doctor: glamour, lipgloss and chroma, kept out of kobako
# the same way (cmd/kobako-tutor).
TUTOR_BIN = $(dir $(BIN))kobako-tutor
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
COMMIT   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
AS_ROOT  := $(CURDIR)/scripts/as-root
# Static binaries: kobako-init starts inside containers, where the host's
# dynamic loader is not.
export CGO_ENABLED := 0

.PHONY: build run tutorial test bench soak fuzz setup clean install uninstall

build: setup
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kobako
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(INIT_BIN) ./cmd/kobako-init
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(PULL_BIN) ./cmd/kobako-pull
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(TUTOR_BIN) ./cmd/kobako-tutor

# Installs what is missing (busybox-static …) and checks Go.
setup:
	@$(CURDIR)/scripts/setup.sh --deps

run: build
	$(AS_ROOT) $(BIN) run -it --rm --memory 10m --cpus 0.3 busybox sh

tutorial: build
	$(AS_ROOT) env LANG=$(LANG) LC_ALL=$(LC_ALL) LC_MESSAGES=$(LC_MESSAGES) TERM=$(TERM) $(BIN) tutorial

# -p 1: one package at a time, so that the CPU-limit test measures a
# container's share on an otherwise quiet machine.
test: build
	$(GO) vet ./...
	KOBAKO_BIN=$(BIN) $(GO) test -p 1 -exec $(AS_ROOT) -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory test-v2

# test-v2: scripts/v2-guest/make.mk
include scripts/v2-guest/make.mk

# kobako run, exec and run -d + rm -f against runc and crun (in a private
# mount namespace, where crun accepts this hybrid cgroup host), the bare
# floor and an empty Go program; kobako run with one part left out at a
# time (what each costs); kobako --trace=time's table of where a run's
# milliseconds go, and peak RSS; kobako import against tar; then kobako as
# the runtime of ctr run --rm and podman run --rm against runc (an engine
# not installed is skipped). docs/bench.md has the results.
# Parts alone: scripts/bench.sh BIN RUNS run|exec|lifecycle|costs|table|import|engines.
bench: build
	$(CURDIR)/scripts/bench.sh $(BIN)

# N containers run with kobako, its monitor and the init killed at random
# moments, and concurrent rm -f, stop, exec and cp; then the host is
# compared with how it began (docs/reliability.md). make test runs a short
# one. SOAK_SEED=… repeats a run.
SOAK_N ?= 1000
soak: build
	KOBAKO_BIN=$(BIN) SOAK_N=$(SOAK_N) SOAK_REPORT=$(CURDIR)/bin/soak-report.md \
		$(GO) test -exec $(AS_ROOT) -count=1 -timeout 0 -run '^TestSoak$$' -v ./tests/

# Each fuzz target for a while (FUZZTIME, default 60s); make test runs
# their seed corpora only.
fuzz:
	$(CURDIR)/scripts/fuzz.sh

clean:
	rm -rf bin

# make install builds kobako as you, then puts it, kobako-init, kobako-pull, its bash and zsh
# completions and its man page kobako(1) under $(DESTDIR)$(PREFIX). The
# completions and the page are printed by the binary itself, from the
# command tree --help shows (kobako completion bash|zsh, kobako man).
PREFIX ?= /usr/local
INSTALLED_BIN  = $(DESTDIR)$(PREFIX)/bin/kobako
INSTALLED_PULL = $(DESTDIR)$(PREFIX)/bin/kobako-pull
INSTALLED_INIT = $(DESTDIR)$(PREFIX)/bin/kobako-init
INSTALLED_TUTOR = $(DESTDIR)$(PREFIX)/bin/kobako-tutor
INSTALLED_BASH = $(DESTDIR)$(PREFIX)/share/bash-completion/completions/kobako
INSTALLED_ZSH  = $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_kobako
INSTALLED_MAN  = $(DESTDIR)$(PREFIX)/share/man/man1/kobako.1
# Writing under $(PREFIX) is root's business; a DESTDIR staging tree is yours.
INSTALL_AS = $(if $(DESTDIR),,$(AS_ROOT))
# BIN=path on the command line installs that binary as it is, without a
# build (the tests install the very binary they test).
INSTALL_NEEDS = $(if $(filter command line,$(origin BIN)),,build)

install: $(INSTALL_NEEDS)
	$(INSTALL_AS) install -D -m 0755 $(BIN) $(INSTALLED_BIN)
	$(INSTALL_AS) install -D -m 0755 $(INIT_BIN) $(INSTALLED_INIT)
	$(INSTALL_AS) install -D -m 0755 $(PULL_BIN) $(INSTALLED_PULL)
	$(INSTALL_AS) install -D -m 0755 $(TUTOR_BIN) $(INSTALLED_TUTOR)
	$(INSTALL_AS) install -d $(dir $(INSTALLED_BASH)) $(dir $(INSTALLED_ZSH)) $(dir $(INSTALLED_MAN))
	$(INSTALL_AS) sh -c '$(BIN) completion bash > $(INSTALLED_BASH)'
	$(INSTALL_AS) sh -c '$(BIN) completion zsh > $(INSTALLED_ZSH)'
	$(INSTALL_AS) sh -c '$(BIN) man > $(INSTALLED_MAN)'

uninstall:
	$(INSTALL_AS) rm -f $(INSTALLED_BIN) $(INSTALLED_INIT) $(INSTALLED_PULL) $(INSTALLED_TUTOR) $(INSTALLED_BASH) $(INSTALLED_ZSH) $(INSTALLED_MAN)
