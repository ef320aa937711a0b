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
# Part "engines" times kobako as the OCI runtime of real engines against
# runc in the same place, alternating:
#   ctr+kobako     ctr run --rm --runc-binary KOBAKO busybox /bin/true
#   ctr+runc       the same through runc (containerd and its runc v2 shim)
#   podman+kobako  podman --runtime kobako run --rm busybox /bin/true
#   podman+runc    the same through runc (podman and conmon)
# with a containerd of its own (private root, state and socket, no CRI
# plugin) and a podman of its own (private containers.conf, vfs storage),
# and prints the medians and kobako/runc for each engine: the engine's
# own work is the same both ways, so the gap is the runtime's. An engine
# that is not installed is skipped, with a line that says so.
#
# A benchmark, never a test: nothing fails on time.
#
# Usage: scripts/bench.sh [KOBAKO_BINARY] [RUNS] [run|import|engines|all]   (root, or via sudo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	exec "$here/as-root" "$0" "$@"
fi
kobako=${1:-$here/../bin/kobako}
runs=${2:-30}
part=${3:-all}
case $part in run | import | engines | all) ;; *) echo "bench: unknown part $part: run, import, engines or all" >&2; exit 2 ;; esac
[ "$part" = import ] || command -v runc >/dev/null || { echo "bench: runc is missing: apt-get install runc" >&2; exit 1; }

work=$(mktemp -d /tmp/kobako-bench.XXXXXX)
cgroup="/kobako-bench-$$"
k() { "$kobako" --root "$work/state" --data-root "$work/data" "$@"; }
containerd_pid=
cleanup() {
	for dir in "$work"/data/containers/*/; do
		[ -d "$dir" ] && k rm -f "$(basename "$dir")" >/dev/null
	done
	engines_cleanup
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

# The engines' private worlds, and what bench_engines leaves to clean up.
engines_ns="kobako-bench-$$"        # containerd namespace = ctr's cgroup parent
engines_cgroup="/kobako-bench-$$-podman" # podman's --cgroup-parent
ctr_() { ctr --address "$work/ctrd/containerd.sock" --namespace "$engines_ns" "$@"; }
podman_() { CONTAINERS_CONF=$work/podman/containers.conf CONTAINERS_STORAGE_CONF=$work/podman/storage.conf podman "$@"; }

engines_cleanup() {
	if [ -d "$work/podman" ]; then
		podman_ rm --all --force --time 0 >/dev/null 2>&1 || true
	fi
	if [ -n "$containerd_pid" ]; then
		kill "$containerd_pid" 2>/dev/null || true
		wait "$containerd_pid" 2>/dev/null || true
	fi
	# the cgroups the engines made for the bench: rmdir, deepest first
	local mnt dir
	while read -r mnt; do
		for dir in "$mnt/$engines_ns" "$mnt$engines_cgroup"; do
			[ ! -d "$dir" ] || find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
		done
	done < <(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts)
	return 0
}

# start_containerd: a containerd of the bench's own, the busybox image in it.
start_containerd() {
	mkdir -p "$work/ctrd"
	cat >"$work/ctrd/config.toml" <<-EOF
		version = 2
		root = "$work/ctrd/root"
		state = "$work/ctrd/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$work/ctrd/containerd.sock"
		[ttrpc]
		  address = "$work/ctrd/containerd.sock.ttrpc"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$work/ctrd/opt"
	EOF
	containerd --config "$work/ctrd/config.toml" >"$work/ctrd/log" 2>&1 &
	containerd_pid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		ctr_ version >/dev/null 2>&1 && break
		sleep 0.1
	done
	ctr_ images import "$work/busybox-save.tar" >/dev/null
}

# start_podman: containers.conf and storage.conf of the bench's own, with
# kobako and runc as two named runtimes, and the busybox image loaded.
start_podman() {
	mkdir -p "$work/podman/tmp"
	cat >"$work/podman/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
		[engine]
		runtime_supports_json = ["kobako", "runc"]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		tmp_dir = "$work/podman/tmp"
		[engine.runtimes]
		kobako = ["$kobako"]
		runc = ["$(command -v runc)"]
		[network]
		network_backend = "cni"
		network_config_dir = "$work/podman/net"
	EOF
	cat >"$work/podman/storage.conf" <<-EOF
		[storage]
		driver = "vfs"
		graphroot = "$work/podman/graph"
		runroot = "$work/podman/run"
	EOF
	podman_ load --quiet --input "$work/busybox-save.tar" >/dev/null
}

# bench_engines: ctr run --rm and podman run --rm, through kobako and runc.
bench_engines() {
	local -A times med
	local names=() i n have_ctr=1 have_podman=1
	# the names ctr and podman give the image of kobako save's archive
	local ctr_image=docker.io/library/busybox:latest podman_image=localhost/busybox:latest
	for n in containerd ctr containerd-shim-runc-v2; do
		command -v "$n" >/dev/null || have_ctr=
	done
	for n in podman conmon; do
		command -v "$n" >/dev/null || have_podman=
	done
	[ -n "$have_ctr" ] || echo "bench: no containerd here, ctr skipped (apt-get install containerd)"
	[ -n "$have_podman" ] || echo "bench: no podman here, podman skipped (apt-get install podman)"
	[ -n "$have_ctr$have_podman" ] || return 0

	k save -o "$work/busybox-save.tar" busybox
	local ctr_kobako=(ctr_ run --rm --runc-binary "$kobako" --runc-root "$work/runc-kobako" "$ctr_image")
	local ctr_runc=(ctr_ run --rm --runc-binary "$(command -v runc)" --runc-root "$work/runc-runc" "$ctr_image")
	local podman_run=(run --rm --pull=never --network none --cgroup-parent "$engines_cgroup" "$podman_image" /bin/true)
	if [ -n "$have_ctr" ]; then
		start_containerd
		names+=(ctr+kobako ctr+runc)
		# once each, loudly: a failing command would time its failure
		"${ctr_kobako[@]}" warm-kobako /bin/true
		"${ctr_runc[@]}" warm-runc /bin/true
	fi
	if [ -n "$have_podman" ]; then
		start_podman
		names+=(podman+kobako podman+runc)
		podman_ --runtime kobako "${podman_run[@]}"
		podman_ --runtime runc "${podman_run[@]}"
	fi

	for ((i = 0; i < runs; i++)); do
		if [ -n "$have_ctr" ]; then
			times[ctr+kobako]+="$(elapsed "${ctr_kobako[@]}" "k$i" /bin/true) "
			times[ctr+runc]+="$(elapsed "${ctr_runc[@]}" "r$i" /bin/true) "
		fi
		if [ -n "$have_podman" ]; then
			times[podman+kobako]+="$(elapsed podman_ --runtime kobako "${podman_run[@]}") "
			times[podman+runc]+="$(elapsed podman_ --runtime runc "${podman_run[@]}") "
		fi
	done

	printf '%-14s %10s   (%d runs each, /bin/true in busybox)\n' "" "median ms" "$runs"
	for n in "${names[@]}"; do
		med[$n]=$(echo "${times[$n]}" | median)
		printf '%-14s %10s\n' "$n" "${med[$n]}"
	done
	for n in ctr podman; do
		[ -n "${med[$n+kobako]:-}" ] || continue
		awk -v e="$n" -v k="${med[$n+kobako]}" -v r="${med[$n+runc]}" \
			'BEGIN { printf "%-6s kobako/runc  %.2f\n", e, k / r }'
	done
}

case $part in
run) bench_run ;;
import) bench_import ;;
engines) bench_engines ;;
all)
	bench_run
	echo
	bench_import
	echo
	bench_engines
	;;
esac
