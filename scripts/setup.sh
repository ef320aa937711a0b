#!/usr/bin/env bash
# Set-up for building and running kobako on Debian or Ubuntu: installs what
# is missing and says what it does. Run by `make`; safe to run again.
#   - Go: any Go >= 1.21 will do; it fetches the exact toolchain go.mod asks
#     for by itself (GOTOOLCHAIN=auto). Ubuntu's sudo drops /usr/local/go/bin
#     from PATH, which is why the Makefile builds as you, not as root.
#   - busybox-static: the built-in `busybox` image is made from it.
#   - uidmap: newuidmap and newgidmap, which map a user's /etc/subuid ranges
#     into its containers (rootless `kobako run --userns`; the tests use it).
set -euo pipefail
AS_ROOT="$(dirname "$0")/as-root"

say() { printf 'setup: %s\n' "$*" >&2; }

apt_install() {
	say "installing $* (apt-get)"
	"$AS_ROOT" apt-get update -qq
	"$AS_ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Go
if ! command -v go >/dev/null 2>&1; then
	if [ -x /usr/local/go/bin/go ]; then
		say "Go is in /usr/local/go/bin but not on your PATH: export PATH=\$PATH:/usr/local/go/bin"
		exit 1
	fi
	apt_install golang-go
fi
minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "${minor:-0}" -lt 21 ]; then
	say "Go $(go env GOVERSION) is too old to fetch the toolchain go.mod needs; install Go >= 1.21"
	exit 1
fi

# A static busybox for the built-in image.
static_busybox() {
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'
}
if ! static_busybox; then
	apt_install busybox-static
fi

# newuidmap and newgidmap for a user's containers.
if ! command -v newuidmap >/dev/null 2>&1; then
	apt_install uidmap
fi

# ip and nft, for the network chapter's tests (they read kobako's links
# and rules back); nsenter and unshare come with util-linux. Asked of dpkg:
# /usr/sbin is not on every user's PATH.
for pkg in iproute2 nftables; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		apt_install "$pkg"
	fi
done
