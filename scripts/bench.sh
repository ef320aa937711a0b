#!/usr/bin/env bash
# make bench: how long does a container take to start, next to runc, crun
# and the bare cost of a process here — and how fast does kobako import a
# tarball?
#
# Every timed part alternates its commands run by run, so that machine noise
# (another build, a cold cache) hits all of them alike, and prints medians in
# milliseconds. Absolute times vary by machine and day; the ratios measured
# side by side are what docs/bench.md compares. A benchmark, never a test:
# nothing fails on time. But a failed command is not a time: each command is
# run once before timing and every timed run must exit 0, or the bench stops
# and says which command failed and what it printed.
#
# Part "run": /bin/true in busybox, the whole life of a container.
#   kobako    kobako run --rm busybox /bin/true   (own --root, --data-root)
#   kobako-oci  kobako run --bundle of the bundle runc and crun run: kobako
#             as an OCI runtime, without the people's part (no image, no
#             overlay, no record, no name) — the same work as theirs
#   runc      runc run of the same busybox tree: a bundle from `runc spec`
#             with an absolute cgroupsPath, so runc makes its own cgroup and
#             removes it
#   crun      crun run of the same bundle, if crun is installed
#   floor     unshare -muinpf --fork /bin/true: namespaces and an exec, no
#             runtime — no container can start faster
#   empty Go  a static Go program whose main is empty, built here: what any
#             Go process pays to start (kobako run starts two)
#   kobako --version: what a kobako process pays before it does anything
# then kobako/runc and kobako/crun against issue 16's goals (≤ 0.40, ≤ 1.00),
# for both of kobako's forms.
# Part "exec": /bin/true into a running container (busybox sleep 1000, one
# per runtime): kobako exec, runc exec, crun exec.
# Part "lifecycle": run -d busybox sleep 1000, then remove it at once (kobako
# rm -f, runc/crun delete -f): the pair is one time. (runc's delete -f waits
# 100 ms by design, see bench_lifecycle: compare with crun.)
# Part "costs": what each part of kobako run costs, measured by running
# without it — the same run with one guard or one piece of work left out,
# all alternating, each after the pause:
#   default       kobako run --rm busybox /bin/true
#   no seccomp    … --security-opt seccomp=unconfined
#   privileged    … --privileged (no seccomp, masks, device rules or
#                 capability drop)
#   no netns      … --network host (one namespace fewer)
#   no --rm       kobako run busybox /bin/true (its rm -f comes after, untimed)
#   oci form      kobako run --bundle: no image lookup, overlay, record,
#                 name, hosts files or log — the runtime alone
# and each one's difference from the default: what removing it would save.
# Part "table": where one kobako run's milliseconds go, by phase, as kobako
# --trace=time prints it (the last of a few runs: the first fills caches),
# then the peak RSS of kobako run, runc run and crun run as GNU time measures
# it from outside.
#
# Why the run, exec, lifecycle and table parts run in a mount namespace of
# their own: this host is cgroup v1 "hybrid" — v1 controllers under
# /sys/fs/cgroup, plus a cgroup2 at /sys/fs/cgroup/unified whose
# cgroup.controllers reads "hugetlb". crun refuses such a host ("cgroups in
# hybrid mode not supported, drop all controllers from cgroupv2") and exits 1
# in about 4 ms — which a bench that does not check exit statuses times as a
# very fast run. crun accepts it when that file reads empty. So the script
# re-executes itself under
#     unshare -m --propagation private
# (a private copy of the host's mounts: nothing mounted there reaches the
# host) and, there, binds an empty file over
# /sys/fs/cgroup/unified/cgroup.controllers if it reads non-empty. All
# runtimes are timed inside the same namespace, for fairness: none of them
# runs under conditions another does not. The cgroups themselves are the
# host's (a bind over one file changes no hierarchy), and the bench removes
# the ones it made (named kobako-bench-<pid>…) when it exits.
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
# that is not installed is skipped, with a line that says so. Import and
# engines run in the host's mount namespace, as before.
#
# Usage: scripts/bench.sh [KOBAKO_BINARY] [RUNS] [PART...]   (root, or via sudo)
#   PART: run, exec, lifecycle, costs, table, import, engines, or all (the default:
#   every part, in that order). RUNS defaults to 30.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	exec "$here/as-root" "$0" "$@"
fi
kobako=${1:-$here/../bin/kobako}
runs=${2:-30}
# The pause before each container start of part "run", in seconds:
# 0.1 is a person typing commands; BENCH_PAUSE=0 is an engine starting
# containers back to back.
pause=${BENCH_PAUSE:-0.1}
parts=("${@:3}")
[ ${#parts[@]} -gt 0 ] || parts=(all)

# The parts, split by where they run: in the bench's mount namespace or the host's.
ns_parts=() host_parts=()
for part in "${parts[@]}"; do
	case $part in
	run | exec | lifecycle | costs | table) ns_parts+=("$part") ;;
	import | engines) host_parts+=("$part") ;;
	all) ns_parts+=(run exec lifecycle costs table) host_parts+=(import engines) ;;
	*) echo "bench: unknown part $part: run, exec, lifecycle, costs, table, import, engines or all" >&2; exit 2 ;;
	esac
done
if [ "${ns_parts[*]} ${host_parts[*]}" != " import" ]; then
	command -v runc >/dev/null || { echo "bench: runc is missing: apt-get install runc" >&2; exit 1; }
fi
# The runtimes besides kobako: runc always, crun when installed.
oci=(runc)
if command -v crun >/dev/null; then oci+=(crun); fi

# Outside the namespace: hand the namespace's parts to a copy of this script
# in one (KOBAKO_BENCH_NS tells the copy where it is), keep the host's parts.
if [ -z "${KOBAKO_BENCH_NS:-}" ] && [ ${#ns_parts[@]} -gt 0 ]; then
	if [ ${#host_parts[@]} -eq 0 ]; then
		KOBAKO_BENCH_NS=1 exec unshare -m --propagation private -- "$0" "$kobako" "$runs" "${ns_parts[@]}"
	fi
	KOBAKO_BENCH_NS=1 unshare -m --propagation private -- "$0" "$kobako" "$runs" "${ns_parts[@]}"
	echo
	ns_parts=()
fi

work=$(mktemp -d /tmp/kobako-bench.XXXXXX)
id="kobako-bench-$$" # prefix of every container, cgroup and name the bench makes
k() { "$kobako" --root "$work/state" --data-root "$work/data" "$@"; }
# kobako's runc form: a state root of the bench's own, no data root
ko() { "$kobako" --root "$work/state" "$@"; }
containerd_pid=
cleanup() {
	for dir in "$work"/data/containers/*/; do
		[ ! -d "$dir" ] || k rm -f "$(basename "$dir")" >/dev/null || true
	done
	oci_cleanup
	engines_cleanup
	cgroups_cleanup
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# times[NAME]: the microseconds of each timed run of NAME, space-separated;
# med[NAME]: their median; what[NAME]: the command, said for the reader.
declare -A times med what

# quietly CMD...: CMD without stdin or output (a detached container must not
# hold the caller's pipe open), its stderr kept for failed.
quietly() { "$@" </dev/null >/dev/null 2>"$work/stderr"; }

# failed NAME STATUS CMD...: stop the bench, saying what failed and why.
failed() {
	local name=$1 status=$2
	shift 2
	echo "bench: $name failed (exit $status), so it has no time: $*" >&2
	sed 's/^/    /' "$work/stderr" >&2
	exit 1
}

# must NAME CMD...: run CMD once, untimed, or stop the bench.
must() {
	local name=$1
	shift
	quietly "$@" || failed "$name" $? "$@"
}

# timed NAME CMD...: run CMD, add its time to times[NAME], from bash's own
# clock (no fork to read it); a failed run stops the bench.
timed() {
	local name=$1 start end
	shift
	start=$EPOCHREALTIME
	quietly "$@" || failed "$name" $? "$@"
	end=$EPOCHREALTIME
	times[$name]+="$((${end//[.,]/} - ${start//[.,]/})) "
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# report TITLE NAME...: the medians of NAMEs, in milliseconds.
report() {
	local title=$1 n
	shift
	printf '%s — %d runs each, alternating; median ms\n' "$title" "$runs"
	for n in "$@"; do
		med[$n]=$(echo "${times[$n]}" | median)
		awk -v n="$n" -v us="${med[$n]}" -v w="${what[$n]:-}" \
			'BEGIN { printf "  %-16s %7.1f%s\n", n, us / 1000, (w == "" ? "" : "   " w) }'
	done
}

# ratio A B [GOAL]: med[A]/med[B], and whether it meets GOAL (at most).
ratio() {
	[ -n "${med[$2]:-}" ] || return 0
	awk -v a="$1" -v b="$2" -v x="${med[$1]}" -v y="${med[$2]}" -v goal="${3:-}" 'BEGIN {
		r = x / y
		printf "%-14s %5.2f", a "/" b, r
		if (goal != "") printf "   goal ≤ %s: %s", goal, (r <= goal ? "met" : "not yet")
		printf "\n"
	}'
}

# oci_cleanup: delete -f the bench's runc and crun containers.
oci_cleanup() {
	local rt c
	for rt in "${oci[@]}" ko; do
		for c in $("$rt" list -q 2>/dev/null | grep "^$id-" || true); do
			"$rt" delete -f "$c" >/dev/null 2>&1 || true
		done
	done
}

# cgroups_cleanup: rmdir the cgroups made for the bench (by runc, crun and
# the engines), deepest first, in every hierarchy.
cgroups_cleanup() {
	local mnt dir
	while read -r mnt; do
		for dir in "$mnt/$id" "$mnt/$id"-*; do
			[ ! -d "$dir" ] || find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
		done
	done < <(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts)
	return 0
}

# hide_cgroup2_controllers: in the bench's namespace, an empty
# cgroup.controllers for the hybrid host's cgroup2 (see the header).
hide_cgroup2_controllers() {
	local f=/sys/fs/cgroup/unified/cgroup.controllers mine parent
	# Never on the host: the process that started this one (the bench
	# outside, or whoever set KOBAKO_BENCH_NS by hand) must be in another
	# mount namespace — and if that cannot be read, refuse.
	mine=$(readlink "/proc/$$/ns/mnt") parent=$(readlink "/proc/$PPID/ns/mnt" || true)
	if [ -z "$parent" ] || [ "$mine" = "$parent" ]; then
		echo "bench: KOBAKO_BENCH_NS is set, but this is not a mount namespace of the bench's own: not binding over $f" >&2
		exit 1
	fi
	# cgroupfs files say size 0: read it, test -s cannot tell
	[ -r "$f" ] && [ -n "$(<"$f")" ] || return 0
	: >"$work/empty"
	mount --bind "$work/empty" "$f"
}

# make_bundles: the busybox image, built once, and runc/crun bundles of the
# same tree: bundle runs /bin/true, sleep-RUNTIME runs sleep 1000 on the
# same rootfs with a cgroup of its own (two sleepers live at once in exec).
make_bundles() {
	[ ! -d "$work/bundle" ] || return 0
	must "kobako run" k run --rm busybox /bin/true
	mkdir "$work/bundle"
	# busybox has one layer: its directory is the tree (kobako history shows it)
	cp -a "$(k history --no-trunc busybox | awk 'NR == 2 {print $NF}')" "$work/bundle/rootfs"
	(cd "$work/bundle" && runc spec)
	sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"/"\/bin\/true"/' \
		-e "s|\"linux\": {|\"linux\": {\n\t\t\"cgroupsPath\": \"/$id-run\",|" "$work/bundle/config.json"
	local rt
	for rt in "${oci[@]}"; do
		mkdir "$work/sleep-$rt"
		sed -e 's|"/bin/true"|"sleep", "1000"|' -e "s|\"path\": \"rootfs\"|\"path\": \"$work/bundle/rootfs\"|" \
			-e "s|\"/$id-run\"|\"/$id-$rt-sleep\"|" "$work/bundle/config.json" >"$work/sleep-$rt/config.json"
	done
}

# build_empty_go: $work/empty-go, or a line that says why there is none.
build_empty_go() {
	local go
	go=$(command -v go || true)
	[ -n "$go" ] || [ ! -x /usr/local/go/bin/go ] || go=/usr/local/go/bin/go
	if [ -z "$go" ]; then
		echo "bench: no Go here (PATH, /usr/local/go/bin): the empty Go program is skipped"
		return 1
	fi
	mkdir "$work/go"
	printf 'package main\n\nfunc main() {}\n' >"$work/go/main.go"
	if ! (cd "$work/go" && CGO_ENABLED=0 GOTOOLCHAIN=local "$go" build -ldflags '-s -w' -o "$work/empty-go" main.go) 2>"$work/stderr"; then
		echo "bench: go build of an empty program failed, it is skipped: $(head -n 1 "$work/stderr")"
		return 1
	fi
}

# bench_run: kobako run against runc, crun, the floor and an empty Go program.
bench_run() {
	make_bundles
	times=() med=()
	local names=(kobako kobako-oci "${oci[@]}" floor) i rt
	what=([kobako]="kobako run --rm busybox /bin/true" [kobako-oci]="kobako run --bundle, runc's bundle"
		[runc]="runc run, same busybox tree"
		[crun]="crun run, same bundle" [floor]="unshare -muinpf --fork /bin/true"
		["empty Go"]="static, main(){}, 1 process" ["kobako --version"]="1 kobako process, no work")
	if build_empty_go; then names+=("empty Go"); fi
	names+=("kobako --version")
	[ -n "${oci[1]:-}" ] || echo "bench: no crun here, its line is skipped (apt-get install crun)"

	# once each: a command that fails would time its failure
	must kobako k run --rm busybox /bin/true
	must kobako-oci ko run --bundle "$work/bundle" "$id-check"
	for rt in "${oci[@]}"; do must "$rt" "$rt" run --bundle "$work/bundle" "$id-check"; done
	# The runtimes take turns going first (the order rotates run by run),
	# and each starts after a pause of $pause s: a container's first move
	# into a cgroup waits for an RCU grace period (≈ 10 ms here, see
	# cgroups/v1.go), unless another move happened a moment before — so a
	# runtime timed right after another one's move would start for free.
	local runtimes=(kobako kobako-oci "${oci[@]}") j
	local n=${#runtimes[@]}
	for ((i = 0; i < runs; i++)); do
		for ((j = 0; j < n; j++)); do
			rt=${runtimes[(i + j) % n]}
			sleep "$pause"
			case $rt in
			kobako) timed kobako k run --rm busybox /bin/true ;;
			kobako-oci) timed kobako-oci ko run --bundle "$work/bundle" "$id-$i" ;;
			*) timed "$rt" "$rt" run --bundle "$work/bundle" "$id-$i" ;;
			esac
		done
		timed floor unshare -muinpf --fork /bin/true
		[ ! -x "$work/empty-go" ] || timed "empty Go" "$work/empty-go"
		timed "kobako --version" "$kobako" --version
	done

	report "run: /bin/true in busybox, each after a ${pause} s pause (BENCH_PAUSE)" "${names[@]}"
	ratio kobako runc 0.40
	ratio kobako crun 1.00
	ratio kobako-oci runc 0.40
	ratio kobako-oci crun 1.00
}

# bench_costs: kobako run with one guard or one piece of work left out at a
# time, alternating with the default; each line's difference from the
# default is what that part costs a run.
bench_costs() {
	make_bundles
	times=() med=()
	local names=(default "no seccomp" privileged "no netns" "no --rm" "oci form") i j name
	what=([default]="kobako run --rm busybox /bin/true"
		["no seccomp"]="… --security-opt seccomp=unconfined" [privileged]="… --privileged"
		["no netns"]="… --network host" ["no --rm"]="kobako run busybox /bin/true; rm -f after, untimed"
		["oci form"]="kobako run --bundle: the runtime alone")
	local n=${#names[@]}
	for name in "${names[@]}"; do must "$name" costs_variant "$name" "$id-check"; done
	for ((i = 0; i < runs; i++)); do
		for ((j = 0; j < n; j++)); do
			name=${names[(i + j) % n]}
			sleep "$pause"
			timed "$name" costs_variant "$name" "$id-$i"
			[ "$name" != "no --rm" ] || must "kobako rm -f" k rm -f "$id-$i"
		done
	done
	report "costs: kobako run with one part left out, each after a ${pause} s pause" "${names[@]}"
	for name in "${names[@]:1}"; do
		awk -v n="$name" -v d="${med[default]}" -v x="${med[$name]}" \
			'BEGIN { printf "  %-16s %+6.1f ms   (%+.0f %%)\n", n, (x - d) / 1000, (x - d) * 100 / d }'
	done
}

# costs_variant NAME ID: one run of the variant NAME (bench_costs).
costs_variant() {
	case $1 in
	default) k run --rm busybox /bin/true ;;
	"no seccomp") k run --rm --security-opt seccomp=unconfined busybox /bin/true ;;
	privileged) k run --rm --privileged busybox /bin/true ;;
	"no netns") k run --rm --network host busybox /bin/true ;;
	"no --rm") k run --name "$2" busybox /bin/true ;;
	"oci form") ko run --bundle "$work/bundle" "$2" ;;
	esac
}

# bench_exec: /bin/true into a running container, one per runtime.
bench_exec() {
	make_bundles
	times=() med=()
	local i rt
	what=([kobako]="kobako exec NAME /bin/true" [runc]="runc exec ID /bin/true" [crun]="crun exec ID /bin/true")
	must "kobako run -d" k run -d --name "$id-exec" busybox sleep 1000
	for rt in "${oci[@]}"; do must "$rt run -d" "$rt" run -d --bundle "$work/sleep-$rt" "$id-exec"; done
	must "kobako exec" k exec "$id-exec" /bin/true
	for rt in "${oci[@]}"; do must "$rt exec" "$rt" exec "$id-exec" /bin/true; done

	for ((i = 0; i < runs; i++)); do
		timed kobako k exec "$id-exec" /bin/true
		for rt in "${oci[@]}"; do timed "$rt" "$rt" exec "$id-exec" /bin/true; done
	done

	must "kobako rm -f" k rm -f "$id-exec"
	for rt in "${oci[@]}"; do must "$rt delete -f" "$rt" delete -f "$id-exec"; done
	report "exec: /bin/true into a running busybox sleep 1000" kobako "${oci[@]}"
	ratio kobako runc
	ratio kobako crun
}

# The pairs timed by bench_lifecycle: start a sleeper detached, remove it.
kobako_pair() { k run -d --name "$1" busybox sleep 1000 && k rm -f "$1"; }
oci_pair() { "$1" run -d --bundle "$work/sleep-$1" "$2" && "$1" delete -f "$2"; }

# bench_lifecycle: run -d and at once rm -f (delete -f), the pair timed.
# runc 1.1's delete -f sends SIGKILL and then sleeps 100 ms before its first
# look at whether the container died (killContainer in runc's delete.go):
# its pair is never under 100 ms, so kobako/crun is the yardstick here.
bench_lifecycle() {
	make_bundles
	times=() med=()
	local i rt
	what=([kobako]="kobako run -d busybox sleep 1000; kobako rm -f"
		[runc]="runc run -d …; runc delete -f" [crun]="crun run -d …; crun delete -f")
	must kobako kobako_pair "$id-check"
	for rt in "${oci[@]}"; do must "$rt" oci_pair "$rt" "$id-check"; done

	for ((i = 0; i < runs; i++)); do
		timed kobako kobako_pair "$id-$i"
		for rt in "${oci[@]}"; do timed "$rt" oci_pair "$rt" "$id-$i"; done
	done

	report "lifecycle: run -d sleep 1000, then rm -f" kobako "${oci[@]}"
	ratio kobako runc
	ratio kobako crun
	echo "(runc's delete -f sleeps 100 ms before it looks whether the container died)"
}

# bench_table: kobako's own table of where a run's milliseconds went, then
# peak RSS measured from outside.
bench_table() {
	make_bundles
	local n=$((runs < 5 ? runs : 5)) i
	echo "table: kobako --trace=time run --rm busybox /bin/true, the last of $n runs"
	for ((i = 0; i < n; i++)); do
		if ! k --trace=time run --rm busybox /bin/true </dev/null >/dev/null 2>"$work/table"; then
			echo "  the per-step table needs a kobako with --trace=time; this one says: $(head -n 1 "$work/table")"
			break
		fi
	done
	[ "$i" -lt "$n" ] || cat "$work/table"
	echo
	peak_rss "$n"
}

# peak_rss N: the peak RSS of kobako run, runc run and crun run, median of N.
# GNU time's %M is ru_maxrss from wait4(2) of the command it started: the
# largest peak of that process and of every descendant it reaped (the kernel
# folds a reaped child's peak into its parent's as a maximum, not a sum). So
# for kobako run it is max(parent, init) — the parent here, much the bigger —
# and time's own memory is in no way part of it: its floor hides nothing.
# The trace table above has the parent and the init separately.
peak_rss() {
	local n=$1 i rt
	if [ ! -x /usr/bin/time ]; then
		echo "peak RSS: skipped, GNU time is missing (apt-get install time)"
		return 0
	fi
	times=() med=()
	for ((i = 0; i < n; i++)); do
		must kobako /usr/bin/time -f %M -o "$work/rss" "$kobako" --root "$work/state" --data-root "$work/data" \
			run --rm busybox /bin/true
		times[kobako]+="$(<"$work/rss") "
		for rt in "${oci[@]}"; do
			must "$rt" /usr/bin/time -f %M -o "$work/rss" "$rt" run --bundle "$work/bundle" "$id-rss-$i"
			times[$rt]+="$(<"$work/rss") "
		done
	done
	echo "peak RSS — /usr/bin/time -f %M (GNU time: ru_maxrss, the largest peak of the command and the children it reaped), median of $n"
	for rt in kobako "${oci[@]}"; do
		med[$rt]=$(echo "${times[$rt]}" | median)
		awk -v n="$rt" -v kb="${med[$rt]}" 'BEGIN { printf "  %-8s %6.1f MiB   (%d KiB)\n", n, kb / 1024, kb }'
	done
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
	local tarball=$work/bench.tar i
	make_tree "$work/tree"
	tar -c -f "$tarball" --sort=name -C "$work/tree" .
	rm -rf "$work/tree"
	cat "$tarball" >/dev/null # both read it from the page cache

	times=() med=() what=()
	for ((i = 0; i < runs; i++)); do
		timed import k import --name bench "$tarball"
		k rmi bench >/dev/null
		mkdir "$work/untar"
		timed tar tar -x -f "$tarball" -C "$work/untar"
		rm -rf "$work/untar"
	done

	report "import: a $(($(stat -c %s "$tarball") / 1000000)) MB tarball, $(tar -t -f "$tarball" | wc -l) entries" import tar
	awk -v k="${med[import]}" -v t="${med[tar]}" 'BEGIN { printf "tar/import     %5.2f   goal ≥ 1.00\n", t / k }'
}

# The engines' private worlds, and what bench_engines leaves to clean up.
engines_ns="$id"              # containerd namespace = ctr's cgroup parent
engines_cgroup="/$id-podman" # podman's --cgroup-parent
ctr_() { ctr --address "$work/ctrd/containerd.sock" --namespace "$engines_ns" "$@"; }
podman_() { CONTAINERS_CONF=$work/podman/containers.conf CONTAINERS_STORAGE_CONF=$work/podman/storage.conf podman "$@"; }

# engines_cleanup: the engines' containers and containerd; their cgroups go
# with cgroups_cleanup.
engines_cleanup() {
	if [ -d "$work/podman" ]; then
		podman_ rm --all --force --time 0 >/dev/null 2>&1 || true
	fi
	if [ -n "$containerd_pid" ]; then
		kill "$containerd_pid" 2>/dev/null || true
		wait "$containerd_pid" 2>/dev/null || true
	fi
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
	times=() med=() what=()
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

	must "kobako save" k save -o "$work/busybox-save.tar" busybox
	local ctr_kobako=(ctr_ run --rm --runc-binary "$kobako" --runc-root "$work/runc-kobako" "$ctr_image")
	local ctr_runc=(ctr_ run --rm --runc-binary "$(command -v runc)" --runc-root "$work/runc-runc" "$ctr_image")
	local podman_run=(run --rm --pull=never --network none --cgroup-parent "$engines_cgroup" "$podman_image" /bin/true)
	if [ -n "$have_ctr" ]; then
		start_containerd
		names+=(ctr+kobako ctr+runc)
		# once each: a command that fails would time its failure
		must ctr+kobako "${ctr_kobako[@]}" warm-kobako /bin/true
		must ctr+runc "${ctr_runc[@]}" warm-runc /bin/true
	fi
	if [ -n "$have_podman" ]; then
		start_podman
		names+=(podman+kobako podman+runc)
		must podman+kobako podman_ --runtime kobako "${podman_run[@]}"
		must podman+runc podman_ --runtime runc "${podman_run[@]}"
	fi

	for ((i = 0; i < runs; i++)); do
		if [ -n "$have_ctr" ]; then
			timed ctr+kobako "${ctr_kobako[@]}" "k$i" /bin/true
			timed ctr+runc "${ctr_runc[@]}" "r$i" /bin/true
		fi
		if [ -n "$have_podman" ]; then
			timed podman+kobako podman_ --runtime kobako "${podman_run[@]}"
			timed podman+runc podman_ --runtime runc "${podman_run[@]}"
		fi
	done

	report "engines: /bin/true in busybox" "${names[@]}"
	for n in ctr podman; do
		[ -n "${med[$n+kobako]:-}" ] || continue
		awk -v e="$n" -v k="${med[$n+kobako]}" -v r="${med[$n+runc]}" \
			'BEGIN { printf "%-6s kobako/runc  %.2f\n", e, k / r }'
	done
}

# The parts, in order, a blank line between them.
if [ -n "${KOBAKO_BENCH_NS:-}" ]; then hide_cgroup2_controllers; fi
sep=
for part in "${ns_parts[@]}" "${host_parts[@]}"; do
	[ -z "$sep" ] || echo
	sep=1
	"bench_$part"
done
