#!/usr/bin/env bash
# make bench: how long does a container take to run /bin/true, and how fast
# does kobako import a tarball?
#
# Part "run" times, alternating run by run so that machine noise hits all alike:
#   kobako  kobako run --rm busybox /bin/true
#   runc    runc run of the same rootfs (a bundle from `runc spec`, with an
#           absolute cgroupsPath, so runc makes its own cgroup and removes it)
#   crun    the same bundle, if crun is installed
#   floor   unshare -muinpf --fork /bin/true: namespaces and an exec, no runtime
# and prints the median of each and kobako/runc. The project's target is a
# ratio below 0.5.
#
# Part "import" builds one ~100 MB tarball (generated, the same every time:
# a rootfs-like mix of many small files and a few large ones), then
# alternates
#   import  kobako import of it (then kobako rmi, not timed)
#   tar     tar -x -f of it into an empty directory (then rm -rf, not timed)
# and prints their medians and tar/import: the project's goal is 1.0 or
# more, an import at least as fast as GNU tar.
#
# A benchmark, never a test: nothing fails on time.
#
# Usage: scripts/bench.sh [KOBAKO_BINARY] [RUNS] [run|import|all]   (root, or via sudo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	exec "$here/as-root" "$0" "$@"
fi
kobako=${1:-$here/../bin/kobako}
runs=${2:-30}
part=${3:-all}
case $part in run | import | all) ;; *) echo "bench: unknown part $part: run, import or all" >&2; exit 2 ;; esac
[ "$part" = import ] || command -v runc >/dev/null || { echo "bench: runc is missing: apt-get install runc" >&2; exit 1; }

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

# Milliseconds one command takes, from bash's own clock (no fork to read it).
elapsed() {
	local start=$EPOCHREALTIME
	"$@" >/dev/null 2>&1
	local end=$EPOCHREALTIME
	echo "$(( (${end/./} - ${start/./}) / 1000 ))"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# bench_run: kobako run against runc, crun and the bare floor.
bench_run() {
	# The busybox image, built once; the runc bundle gets a copy of its tree.
	k run --rm busybox /bin/true
	mkdir "$work/bundle"
	# busybox has one layer: its directory is the tree (kobako history shows it)
	cp -a "$(k history --no-trunc busybox | awk 'NR == 2 {print $NF}')" "$work/bundle/rootfs"
	(cd "$work/bundle" && runc spec)
	sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"/"\/bin\/true"/' \
		-e "s|\"linux\": {|\"linux\": {\n\t\t\"cgroupsPath\": \"$cgroup\",|" "$work/bundle/config.json"

	local -A times med
	local names=(kobako runc floor) i n
	command -v crun >/dev/null && names+=(crun)
	for ((i = 0; i < runs; i++)); do
		times[kobako]+="$(elapsed k run --rm busybox /bin/true) "
		times[runc]+="$(elapsed runc run --bundle "$work/bundle" "bench-$$-$i") "
		if command -v crun >/dev/null; then
			times[crun]+="$(elapsed crun run --bundle "$work/bundle" "bench-crun-$$-$i") "
		fi
		times[floor]+="$(elapsed unshare -muinpf --fork /bin/true) "
	done

	printf '%-8s %10s   (%d runs each, /bin/true in busybox)\n' "" "median ms" "$runs"
	for n in "${names[@]}"; do
		med[$n]=$(echo "${times[$n]}" | median)
		printf '%-8s %10s\n' "$n" "${med[$n]}"
	done
	awk -v k="${med[kobako]}" -v r="${med[runc]}" 'BEGIN { printf "kobako/runc  %.2f   (target: below 0.50)\n", k / r }'
}

# make_tree DIR: about 100 MB in files shaped like a rootfs — 70 % small
# (up to 8 KiB), 25 % medium (up to 64 KiB), 5 % large (up to 1 MiB) — in
# 64 directories. The sizes come from a fixed linear congruential sequence
# and the bytes from a fixed pattern, so every run builds the same tree;
# one awk process writes all of it (a fork per file would take longer than
# the import it measures).
make_tree() {
	local dir=$1 d
	for ((d = 0; d < 64; d++)); do mkdir -p "$dir/usr/lib/d$d"; done
	awk -v dir="$dir/usr/lib" 'BEGIN {
		seed = 1
		buf = "kobako bench 0123456789abcdefghijklmnopqrstuvwxyz\n"
		while (length(buf) < 1048576) buf = buf buf
		for (n = 0; total < 100 * 1048576; n++) {
			r = rnd()
			if (r < 0.70) size = int(rnd() * 8192)
			else if (r < 0.95) size = 8192 + int(rnd() * 57344)
			else size = 65536 + int(rnd() * 983040)
			file = sprintf("%s/d%d/f%05d", dir, n % 64, n)
			printf "%s", substr(buf, 1, size) > file
			close(file)
			total += size
		}
	}
	function rnd() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }'
}

# bench_import: kobako import of a ~100 MB tarball against GNU tar -x.
bench_import() {
	local tarball=$work/bench.tar
	make_tree "$work/tree"
	tar -c -f "$tarball" --sort=name -C "$work/tree" .
	rm -rf "$work/tree"
	cat "$tarball" >/dev/null # both read it from the page cache

	local -A times med
	local i
	for ((i = 0; i < runs; i++)); do
		times[import]+="$(elapsed k import --name bench "$tarball") "
		k rmi bench >/dev/null
		mkdir "$work/untar"
		times[tar]+="$(elapsed tar -x -f "$tarball" -C "$work/untar") "
		rm -rf "$work/untar"
	done

	printf '%-8s %10s   (%d runs each, %s MB tarball, %s entries)\n' "" "median ms" "$runs" \
		"$(( $(stat -c %s "$tarball") / 1000000 ))" "$(tar -t -f "$tarball" | wc -l)"
	for n in import tar; do
		med[$n]=$(echo "${times[$n]}" | median)
		printf '%-8s %10s\n' "$n" "${med[$n]}"
	done
	awk -v k="${med[import]}" -v t="${med[tar]}" 'BEGIN { printf "tar/import   %.2f   (goal: 1.00 or more)\n", t / k }'
}

case $part in
run) bench_run ;;
import) bench_import ;;
all)
	bench_run
	echo
	bench_import
	;;
esac
