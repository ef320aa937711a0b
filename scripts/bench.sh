#!/usr/bin/env bash
# make bench: how long does a container take to run /bin/true?
#
# Times, alternating run by run so that machine noise hits all alike:
#   kobako  kobako run --rm busybox /bin/true
#   runc    runc run of the same rootfs (a bundle from `runc spec`, with an
#           absolute cgroupsPath, so runc makes its own cgroup and removes it)
#   crun    the same bundle, if crun is installed
#   floor   unshare -muinpf --fork /bin/true: namespaces and an exec, no runtime
# and prints the median of each and kobako/runc. The project's target is a
# ratio below 0.5. A benchmark, never a test: nothing fails on time.
#
# Usage: scripts/bench.sh [KOBAKO_BINARY] [RUNS]   (root, or via sudo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	exec "$here/as-root" "$0" "$@"
fi
kobako=${1:-$here/../bin/kobako}
runs=${2:-30}
command -v runc >/dev/null || { echo "bench: runc is missing: apt-get install runc" >&2; exit 1; }

work=$(mktemp -d /tmp/kobako-bench.XXXXXX)
cgroup="/kobako-bench-$$"
k() { "$kobako" --root "$work/state" --data-root "$work/data" "$@"; }
cleanup() {
	for dir in "$work"/data/containers/*/; do
		[ -d "$dir" ] && k rm -f "$(basename "$dir")" >/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

# The busybox image, built once; the runc bundle gets a copy of its tree.
k run --rm busybox /bin/true
mkdir "$work/bundle"
cp -a "$work/data/images/busybox/rootfs" "$work/bundle/rootfs"
(cd "$work/bundle" && runc spec)
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"/"\/bin\/true"/' \
	-e "s|\"linux\": {|\"linux\": {\n\t\t\"cgroupsPath\": \"$cgroup\",|" "$work/bundle/config.json"

# Milliseconds one command takes, from bash's own clock (no fork to read it).
elapsed() {
	local start=$EPOCHREALTIME
	"$@" >/dev/null 2>&1
	local end=$EPOCHREALTIME
	echo "$(( (${end/./} - ${start/./}) / 1000 ))"
}

declare -A times
names=(kobako runc floor)
command -v crun >/dev/null && names+=(crun)
for ((i = 0; i < runs; i++)); do
	times[kobako]+="$(elapsed k run --rm busybox /bin/true) "
	times[runc]+="$(elapsed runc run --bundle "$work/bundle" "bench-$$-$i") "
	if command -v crun >/dev/null; then
		times[crun]+="$(elapsed crun run --bundle "$work/bundle" "bench-crun-$$-$i") "
	fi
	times[floor]+="$(elapsed unshare -muinpf --fork /bin/true) "
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-8s %10s   (%d runs each, /bin/true in busybox)\n' "" "median ms" "$runs"
declare -A med
for n in "${names[@]}"; do
	med[$n]=$(echo "${times[$n]}" | median)
	printf '%-8s %10s\n' "$n" "${med[$n]}"
done
awk -v k="${med[kobako]}" -v r="${med[runc]}" 'BEGIN { printf "kobako/runc  %.2f   (target: below 0.50)\n", k / r }'
