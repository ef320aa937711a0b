#!/usr/bin/env bash
# The lab's set-up (the article's 環境構築): from a fresh Ubuntu 18.04, 20.04,
# 22.04, 24.04 or Debian 12 machine to an installed kobako and its doctor's
# report. The Vagrantfile provisions with it, and so can you, on EC2 or any
# Debian-like box. It says what it does, and a second run does nothing.
#
#   scripts/setup.sh             the lab, five steps:
#                                1. packages the tutorial needs
#                                   (busybox-static, iproute2, nftables, uidmap)
#                                2. the article's own tools, to compare (cgroup-tools,
#                                   libcap2-bin, uuid-runtime, tree, iputils-ping, jq)
#                                3. a Go that builds kobako (below)
#                                4. kobako built as you, installed by root (make install)
#                                5. kobako doctor: what this machine offers
#   scripts/setup.sh --deps      what `make` needs before each build (the Makefile's
#                                setup target): step 1 and a Go check. Never runs make.
#   scripts/setup.sh --go        step 3 only
#   scripts/setup.sh --cgroup-v1 boot this machine with cgroup v1 (the article's
#                                hierarchy) from the next reboot on: systemd's
#                                systemd.unified_cgroup_hierarchy=0, through GRUB
#   --dry-run                    say what each step would do, do nothing
#
# Go. kobako's go.mod asks for Go 1.26.8. Any Go >= 1.21 fetches exactly that
# toolchain by itself (GOTOOLCHAIN=auto), so a Go found here that is new
# enough is kept. Ubuntu 18.04 ships Go 1.10, 20.04 1.13, 22.04 1.18, Debian
# 12 1.19: too old. Then this script installs Go 1.26.8 into /usr/local/go,
# as go.dev's instructions do with the tarball, and puts /usr/local/go/bin on
# PATH through /etc/profile.d.
#   It does not download the go.dev tarball but the same release as the Go
# module proxy serves it: golang.org/toolchain@v0.0.1-go1.26.8.linux-<arch>,
# the very zip that `go` downloads when GOTOOLCHAIN switches toolchains. It
# is as safe as the tarball with its published SHA-256: a module version on
# proxy.golang.org is immutable, and its hash is in the Go checksum database
# (sum.golang.org), a public append-only log that every go command checks.
# The SHA-256 values pinned below were taken from zips that `go mod download
# -json golang.org/toolchain@v0.0.1-go1.26.8.linux-<arch>` had verified
# against that log (h1:ZOmGe1On… for amd64, h1:sYL/O6Mq… for arm64). The
# script refuses anything else: on a mismatch nothing is unpacked and
# nothing is installed.
#
# The kernel. kobako needs Linux 5.11 or later (close_range with
# CLOSE_RANGE_CLOEXEC, pidfd_open). Ubuntu 18.04 runs 4.15 (5.4 with the HWE
# kernel), 20.04 5.4 (HWE 5.15), 22.04 5.15, 24.04 6.8. On an older kernel
# this script still installs the article's tools — the 2019 article was
# written on 4.15, and its own commands work there — builds and installs
# kobako, and says plainly that kobako cannot run containers on this kernel.
#
# Overridable, for a mirror or a test: KOBAKO_GO_URL (where the zip is
# fetched from, a directory URL), KOBAKO_GO_SUMS (a file of pinned sums, in
# sha256sum's format, used instead of the table below), KOBAKO_GO_ROOT (where
# Go goes, /usr/local/go), KOBAKO_GO_PROFILE (the profile.d file), PREFIX
# (where make install puts kobako, /usr/local).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
AS_ROOT="$HERE/as-root"

GO_VERSION=1.26.8
GO_MIN_MINOR=21 # the first Go that fetches the toolchain go.mod asks for
GO_URL="${KOBAKO_GO_URL:-https://proxy.golang.org/golang.org/toolchain/@v}"
GO_ROOT="${KOBAKO_GO_ROOT:-/usr/local/go}"
GO_PROFILE="${KOBAKO_GO_PROFILE:-/etc/profile.d/kobako-go.sh}"
PREFIX="${PREFIX:-/usr/local}"
# sha256sum's own format: "<sha256>  <file>".
GO_SUMS_PINNED='30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7  v0.0.1-go1.26.8.linux-amd64.zip
02b36b6787b3ac767668f630e2998df45a3b1f9ffee08d1bf3ef6487cd658d99  v0.0.1-go1.26.8.linux-arm64.zip'

TUTORIAL_PKGS=(busybox-static iproute2 nftables uidmap)
ARTICLE_PKGS=(cgroup-tools libcap2-bin uuid-runtime tree iputils-ping jq)
BUILD_PKGS=(make git ca-certificates)
KERNEL_MIN=5.11

DRY_RUN=false
# What to remove when the script ends, however it ends: the download and a
# half-unpacked Go.
CLEANUP=()
cleanup() {
	if [ ${#CLEANUP[@]} -gt 0 ]; then
		"$AS_ROOT" rm -rf "${CLEANUP[@]}"
	fi
}
trap cleanup EXIT

say() { printf 'setup: %s\n' "$*" >&2; }
step() { printf '\nsetup: == %s ==\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

# run COMMAND...: do it, or under --dry-run say it would.
run() {
	if $DRY_RUN; then
		say "would run: $*"
		return 0
	fi
	"$@"
}

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

# --- packages ---------------------------------------------------------------

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# ensure_packages PKG...: installs those not installed, with one apt-get
# update; says so either way. Asked of dpkg, not PATH: /usr/sbin is not on
# every user's PATH.
ensure_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		installed "$pkg" || missing+=("$pkg")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		say "already installed: $*"
		return 0
	fi
	if $DRY_RUN; then
		say "would install ${missing[*]} (apt-get)"
	else
		say "installing ${missing[*]} (apt-get)"
	fi
	# A fresh cloud image may still be running apt at first boot: wait for
	# its lock rather than fail (apt >= 1.9; older apt ignores the option).
	run "$AS_ROOT" apt-get -o DPkg::Lock::Timeout=300 update -qq
	run "$AS_ROOT" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
		install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- the kernel ---------------------------------------------------------------

# kernel_ok: is the running kernel at least KERNEL_MIN?
kernel_ok() {
	local have
	have="$(uname -r | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')"
	[ "$(printf '%s\n%s\n' "$KERNEL_MIN" "$have" | sort -V | head -n1)" = "$KERNEL_MIN" ]
}

kernel_note() {
	if kernel_ok; then
		say "Linux $(uname -r): new enough for kobako (it needs $KERNEL_MIN or later)"
		return 0
	fi
	say "Linux $(uname -r) is older than $KERNEL_MIN, which kobako needs (close_range"
	say "  with CLOSE_RANGE_CLOEXEC, pidfd_open). kobako is built and installed here, but it"
	say "  cannot run containers on this kernel. The article's own commands (unshare,"
	say "  cgcreate, capsh, ip netns …) work: this machine is the article's 2019 world."
	say "  For kobako, use Ubuntu 22.04 or 24.04 (vagrant up noble, or jammy-v1 for cgroup v1)."
}

# --- Go -------------------------------------------------------------------------

# go_minor GO: the minor version of the Go binary GO (1.x), or nothing.
go_minor() {
	"$1" env GOVERSION 2>/dev/null | sed -nE 's/^go1\.([0-9]+).*/\1/p'
}

# usable_go: prints the path of a Go that can build kobako, if there is one:
# the one on PATH, else the one in GO_ROOT.
usable_go() {
	local go minor
	for go in "$(command -v go 2>/dev/null || true)" "$GO_ROOT/bin/go"; do
		if [ -z "$go" ] || [ ! -x "$go" ]; then
			continue
		fi
		minor="$(go_minor "$go")"
		if [ "${minor:-0}" -ge "$GO_MIN_MINOR" ]; then
			printf '%s\n' "$go"
			return 0
		fi
	done
	return 1
}

# go_sums: the table of pinned sums.
go_sums() {
	if [ -n "${KOBAKO_GO_SUMS:-}" ]; then
		cat "$KOBAKO_GO_SUMS"
	else
		printf '%s\n' "$GO_SUMS_PINNED"
	fi
}

# download URL FILE: with curl, or wget where there is no curl.
download() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 3 -o "$2" "$1"
	else
		wget -q -O "$2" "$1"
	fi
}

# install_go: Go GO_VERSION into GO_ROOT from the module proxy's zip,
# checked against the pinned SHA-256 before anything is unpacked.
install_go() {
	local arch zip line tmp stage top old
	arch="$(dpkg --print-architecture)"
	zip="v0.0.1-go$GO_VERSION.linux-$arch.zip"
	line="$(go_sums | awk -v f="$zip" '$2 == f' | head -n1)"
	[ -n "$line" ] || die "no pinned SHA-256 for $zip: install Go >= 1.$GO_MIN_MINOR yourself (https://go.dev/dl/)"
	if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
		ensure_packages curl
	fi
	ensure_packages unzip ca-certificates
	if $DRY_RUN; then
		say "would download $GO_URL/$zip, check its SHA-256 (${line%% *}),"
		say "  unpack it into $GO_ROOT and put $GO_ROOT/bin on PATH ($GO_PROFILE)"
		return 0
	fi

	tmp="$(mktemp -d)"
	CLEANUP+=("$tmp")
	say "downloading $GO_URL/$zip"
	download "$GO_URL/$zip" "$tmp/$zip" || die "download $GO_URL/$zip failed: nothing installed"
	say "checking its SHA-256 against the pinned ${line%% *}"
	if ! (cd "$tmp" && printf '%s\n' "$line" | sha256sum -c --status); then
		die "SHA-256 of $zip is $(sha256sum "$tmp/$zip" | cut -d' ' -f1), not the pinned ${line%% *}: refused, nothing installed"
	fi

	# Unpack next to GO_ROOT (same file system), then swap it in by rename,
	# so a failure leaves no half-unpacked Go behind.
	stage="$(dirname "$GO_ROOT")/.kobako-go-$$"
	CLEANUP+=("$stage")
	"$AS_ROOT" mkdir -p "$stage"
	say "unpacking into $GO_ROOT"
	"$AS_ROOT" unzip -q "$tmp/$zip" -d "$stage" || die "unzip $zip failed: nothing installed"
	top="$stage/golang.org/toolchain@${zip%.zip}"
	[ -f "$top/bin/go" ] || die "$zip has no golang.org/toolchain@${zip%.zip}/bin/go: nothing installed"
	# Module zips need not record file modes; mark the tools executable, as
	# cmd/go does when it unpacks a toolchain it switched to.
	"$AS_ROOT" find "$top/bin" "$top/pkg/tool" -type f -exec chmod a+x {} +
	if [ -e "$GO_ROOT" ]; then
		old="$GO_ROOT.old-$$"
		say "moving the old $GO_ROOT aside, then removing it"
		"$AS_ROOT" mv "$GO_ROOT" "$old"
	fi
	"$AS_ROOT" mv "$top" "$GO_ROOT"
	if [ -n "${old:-}" ]; then
		CLEANUP+=("$old")
	fi
}

# ensure_go_profile: /usr/local/go/bin on every login shell's PATH.
ensure_go_profile() {
	local want="export PATH=\"\$PATH:$GO_ROOT/bin\""
	if [ -f "$GO_PROFILE" ] && grep -qxF "$want" "$GO_PROFILE"; then
		return 0
	fi
	say "adding $GO_ROOT/bin to PATH for login shells ($GO_PROFILE)"
	run "$AS_ROOT" mkdir -p "$(dirname "$GO_PROFILE")"
	if ! $DRY_RUN; then
		printf '# Go for kobako (scripts/setup.sh)\n%s\n' "$want" |
			"$AS_ROOT" tee "$GO_PROFILE" >/dev/null
	fi
}

# step_go: a Go that builds kobako; exports PATH with it for later steps.
step_go() {
	local go
	if go="$(usable_go)"; then
		say "Go $("$go" env GOVERSION) at $go: new enough (>= 1.$GO_MIN_MINOR fetches the toolchain go.mod asks for)"
	else
		if go="$(command -v go 2>/dev/null)"; then
			say "Go $("$go" env GOVERSION 2>/dev/null || echo '?') at $go is too old to build kobako (it needs >= 1.$GO_MIN_MINOR)"
		fi
		say "installing Go $GO_VERSION into $GO_ROOT"
		install_go
		go="$GO_ROOT/bin/go"
		$DRY_RUN || say "installed $("$go" version)"
	fi
	# Put GO_ROOT on login shells' PATH when we used it and it is not there.
	if [ "$go" = "$GO_ROOT/bin/go" ] && [ "$(command -v go 2>/dev/null)" != "$go" ]; then
		ensure_go_profile
	fi
	PATH="$(dirname "$go"):$PATH"
	export PATH
}

# --- kobako ---------------------------------------------------------------------

# as_user COMMAND...: as the user who called sudo, when there is one and the
# checkout is theirs (a Vagrant provisioner runs as root through sudo), so
# bin/ and the Go caches stay theirs; otherwise as ourselves.
as_user() {
	local user="${SUDO_USER:-}"
	if [ "$(id -u)" -eq 0 ] && [ -n "$user" ] && [ "$user" != root ] &&
		[ "$(stat -c %U "$REPO")" = "$user" ]; then
		sudo -u "$user" -H env "PATH=$PATH" "$@"
	else
		"$@"
	fi
}

run_as_user() {
	if $DRY_RUN; then
		say "would run: $*"
	else
		as_user "$@"
	fi
}

step_kobako() {
	local name stale=false
	say "building kobako in $REPO (make build)"
	run_as_user make -C "$REPO" --no-print-directory build
	for name in kobako kobako-init kobako-pull kobako-tutor; do
		cmp -s "$REPO/bin/$name" "$PREFIX/bin/$name" || stale=true
	done
	if $DRY_RUN || $stale; then
		say "installing kobako into $PREFIX (make install)"
		run_as_user make -C "$REPO" --no-print-directory install "BIN=$REPO/bin/kobako" "PREFIX=$PREFIX"
	else
		say "kobako in $PREFIX/bin is this build already: nothing to install"
	fi
}

step_doctor() {
	if $DRY_RUN; then
		say "would run: $AS_ROOT $PREFIX/bin/kobako doctor"
		return 0
	fi
	# doctor's verdict is the learner's information, not a failed set-up: a
	# machine that cannot run every chapter (an old kernel, WSL2) is still
	# set up.
	if "$AS_ROOT" "$PREFIX/bin/kobako" doctor; then
		say "kobako doctor: every chapter of the tutorial can run here"
	else
		say "kobako doctor: some chapters cannot run here (see above, and why)"
	fi
}

# --- cgroup v1 ------------------------------------------------------------------

CGROUP_V1_ARG=systemd.unified_cgroup_hierarchy=0
CGROUP_V1_GRUB=/etc/default/grub.d/99-kobako-cgroup-v1.cfg

step_cgroup_v1() {
	if grep -qw "$CGROUP_V1_ARG" /proc/cmdline; then
		say "this boot already has $CGROUP_V1_ARG: cgroup v1, as in the article"
		return 0
	fi
	if [ -f "$CGROUP_V1_GRUB" ]; then
		say "$CGROUP_V1_GRUB is in place: reboot to boot with cgroup v1"
		return 0
	fi
	command -v update-grub >/dev/null 2>&1 || die "no update-grub here: add $CGROUP_V1_ARG to the kernel's command line yourself"
	say "adding $CGROUP_V1_ARG to the kernel command line ($CGROUP_V1_GRUB, update-grub)"
	if ! $DRY_RUN; then
		# GRUB sources this file after /etc/default/grub: append, keep the rest.
		printf '# kobako lab: cgroup v1, the hierarchy of the article (scripts/setup.sh --cgroup-v1)\n%s\n' \
			"GRUB_CMDLINE_LINUX=\"\${GRUB_CMDLINE_LINUX:-} $CGROUP_V1_ARG\"" |
			"$AS_ROOT" tee "$CGROUP_V1_GRUB" >/dev/null
	fi
	run "$AS_ROOT" update-grub
	say "reboot to boot with cgroup v1"
}

# --- the modes ------------------------------------------------------------------

# make's path: cheap when everything is there; never calls make.
mode_deps() {
	if ! command -v go >/dev/null 2>&1; then
		if [ -x "$GO_ROOT/bin/go" ]; then
			die "Go is in $GO_ROOT/bin but not on your PATH: export PATH=\$PATH:$GO_ROOT/bin"
		fi
		say "there is no Go: installing Go $GO_VERSION into $GO_ROOT"
		install_go
		ensure_go_profile
		die "Go is in $GO_ROOT/bin now: export PATH=\$PATH:$GO_ROOT/bin (new login shells have it), then make again"
	fi
	local minor
	minor="$(go_minor "$(command -v go)")"
	if [ "${minor:-0}" -lt "$GO_MIN_MINOR" ]; then
		die "Go $(go env GOVERSION) is too old to fetch the toolchain go.mod needs: run scripts/setup.sh --go (Go $GO_VERSION into $GO_ROOT), or install Go >= 1.$GO_MIN_MINOR"
	fi
	local pkg missing=()
	for pkg in "${TUTORIAL_PKGS[@]}"; do
		installed "$pkg" || missing+=("$pkg")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		ensure_packages "${missing[@]}"
	fi
}

check_os() {
	command -v apt-get >/dev/null 2>&1 || die "this set-up is for Debian and Ubuntu (apt-get); see docs/lab.md for other routes"
	local id="" version=""
	if [ -r /etc/os-release ]; then
		# shellcheck disable=SC1091 # the machine's, not ours
		id="$(. /etc/os-release && echo "${ID:-}")"
		# shellcheck disable=SC1091
		version="$(. /etc/os-release && echo "${VERSION_ID:-}")"
	fi
	case "$id $version" in
	"ubuntu 18.04" | "ubuntu 20.04" | "ubuntu 22.04" | "ubuntu 24.04" | "debian 12")
		say "$id $version on $(dpkg --print-architecture), Linux $(uname -r)"
		;;
	*)
		say "$id $version is not one the lab is tested on (Ubuntu 18.04-24.04, Debian 12): going on"
		;;
	esac
}

mode_lab() {
	check_os
	kernel_note
	step "1/5 packages the tutorial needs and the build's tools"
	ensure_packages "${TUTORIAL_PKGS[@]}" "${BUILD_PKGS[@]}"
	step "2/5 the article's own tools, to compare with kobako"
	ensure_packages "${ARTICLE_PKGS[@]}"
	step "3/5 Go"
	step_go
	step "4/5 kobako: make build, make install"
	step_kobako
	step "5/5 kobako doctor"
	kernel_ok || kernel_note
	step_doctor
	say ""
	say "done. Next: sudo kobako tutorial   (--lang ja で日本語)"
}

main() {
	local mode=lab arg
	for arg in "$@"; do
		case "$arg" in
		--dry-run) DRY_RUN=true ;;
		--deps) mode=deps ;;
		--go) mode=go ;;
		--cgroup-v1) mode=cgroup-v1 ;;
		-h | --help)
			usage
			return 0
			;;
		*) die "unknown argument $arg (try --help)" ;;
		esac
	done
	$DRY_RUN && say "dry run: nothing is changed"
	case "$mode" in
	deps) mode_deps ;;
	go) step_go ;;
	cgroup-v1) step_cgroup_v1 ;;
	lab) mode_lab ;;
	esac
}

main "$@"
