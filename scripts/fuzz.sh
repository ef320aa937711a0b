#!/usr/bin/env bash
# make fuzz: run each of kobako's fuzz targets for a while, one after the
# other, and say what each did.
#
# A fuzz target (func FuzzXxx(f *testing.F), in a *_fuzz_test.go file next
# to the code it reads) takes the seeds under its package's
# testdata/fuzz/FuzzXxx/ and lets Go's fuzzer mutate them, keeping every
# input that reaches code no earlier input reached ("new interesting"), and
# checking the target's property on each. `make test` runs only the seeds;
# this runs, for each target,
#
#	go test -run '^$' -fuzz '^FuzzXxx$' -fuzztime $FUZZTIME ./pkg
#
# with GODEBUG=fuzzdebug=1, which makes the fuzzer also log how many
# coverage bits (edges of the instrumented code) the seeds reach and how
# many the run reached in the end. Then a table: executions, executions a
# second, new interesting inputs, corpus size, coverage bits from the seeds
# to the end, and PASS or FAIL.
#
# A FAIL is a bug found: go test writes the input that broke the property
# to pkg/testdata/fuzz/FuzzXxx/<hash>, and from then on `make test` runs it
# as a seed — keep that file, as the regression test of the fix. Inputs that
# were only interesting stay in Go's cache ($(go env GOCACHE)/fuzz), so the
# next run starts from where this one stopped.
#
# Targets that need root (the unpacker, import) run through scripts/as-root,
# as make test's do; build and cache stay the invoking user's.
#
# Each new interesting input is first made as small as it can be while it
# still reaches its new code (minimized). Go gives that 60 s an input by
# default, and a tarball of 10 KB takes all of it, while the clock of
# -fuzztime runs and no execution counts: here it is 200 tries an input.
#
# Usage: scripts/fuzz.sh [PKG:FuzzXxx …]   (default: every target in the tree)
#   FUZZTIME          how long each target runs: 60s (the default), 5m, or 10000x executions
#   FUZZMINIMIZETIME  -fuzzminimizetime, 200x by default (Go's own: 60s)
#   FUZZTIMEOUT       go test's -timeout for one target, 10m by default: raise it with FUZZTIME
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
go=${GO:-go}
fuzztime=${FUZZTIME:-60s}
minimize=${FUZZMINIMIZETIME:-200x}
timeout=${FUZZTIMEOUT:-10m}
exec_flag=()
if [ "$(id -u)" -ne 0 ]; then
	exec_flag=(-exec "$here/as-root")
fi

# The targets: PKG:FuzzXxx, from the arguments or from every *_test.go
# that declares one (grep, not go test -list: no package needs to build
# for the list).
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	while IFS=: read -r file decl; do
		targets+=("./$(dirname "${file#./}"):${decl#func }")
	done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sort)
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no fuzz targets found" >&2; exit 1; }

logs=$(mktemp -d /tmp/kobako-fuzz.XXXXXX)
trap 'rm -rf "$logs"' EXIT
rows=()
failed=0
start=$SECONDS
for t in "${targets[@]}"; do
	pkg=${t%%:*} name=${t#*:}
	log="$logs/$name.log"
	echo "== $name ($pkg), $fuzztime"
	status=PASS
	# tee: the fuzzer's own lines scroll by as it runs
	if ! GODEBUG=fuzzdebug=1 "$go" test "${exec_flag[@]}" -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" \
		-fuzzminimizetime "$minimize" -timeout "$timeout" "$pkg" 2>&1 | tee "$log" | { grep -v ' DEBUG ' || true; }; then
		status=FAIL
		failed=$((failed + 1))
	fi
	# The last status line: "fuzz: elapsed: 30s, execs: 91305 (3043/sec), new interesting: 12 (total: 41)"
	read -r execs rate interesting total < <(
		sed -n 's/^fuzz: elapsed: \([0-9hms.]*\), execs: \([0-9]*\) (\([0-9]*\)\/sec), new interesting: \([0-9]*\) (total: \([0-9]*\)).*/\2 \3 \4 \5/p' "$log" |
			tail -n 1
	) || true
	# fuzzdebug: "initial coverage bits: N" once, "total bits: M" at each new interesting input
	bits0=$(sed -n 's/.*initial coverage bits: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	bits1=$(sed -n 's/.*total bits: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	# a wall-clock average: the rate go prints is that of its last 3 seconds.
	# Go writes the time as a duration: 30s, 1m0s, 1h2m3s.
	elapsed=$(sed -n 's/^fuzz: elapsed: \([0-9hms]*\),.*/\1/p' "$log" | tail -n 1 |
		awk '{ s = 0; while (match($0, /^[0-9]+[hms]/)) { n = substr($0, 1, RLENGTH - 1); u = substr($0, RLENGTH, 1);
			s += n * (u == "h" ? 3600 : u == "m" ? 60 : 1); $0 = substr($0, RLENGTH + 1) } print s }')
	if [ -n "${elapsed:-}" ] && [ "$elapsed" -gt 0 ]; then
		rate=$((${execs:-0} / elapsed))
	fi
	if [ "$status" = FAIL ]; then
		sed -n 's/.*\(Failing input written to .*\)/    \1/p; s/^\(.*failure while testing seed corpus entry: .*\)/    \1/p' "$log"
	fi
	rows+=("$(printf '%-22s %-18s %10s %8s %6s %7s %13s  %s' "$name" "${pkg#./}" "${execs:--}" "${rate:--}" \
		"${interesting:--}" "${total:--}" "${bits0:--} -> ${bits1:-${bits0:--}}" "$status")")
done

# Through sudo, the fuzzer wrote the cache and any failing input as root:
# give them back, so that the user's go clean and git keep working.
if [ ${#exec_flag[@]} -gt 0 ]; then
	find . -path ./.git -prune -o -path '*/testdata/fuzz' -type d -print0 |
		xargs -0 "$here/as-root" chown -R "$(id -u):$(id -g)" "$("$go" env GOCACHE)/fuzz" 2>/dev/null || true
fi

echo
echo "fuzzing: ${#targets[@]} targets, $fuzztime each, $((SECONDS - start)) s in all, $(nproc) CPUs ($(date -u +%Y-%m-%d), $("$go" env GOVERSION))"
printf '%-22s %-18s %10s %8s %6s %7s %13s  %s\n' target package execs execs/s new corpus "coverage bits" result
for row in "${rows[@]}"; do
	echo "$row"
done
if [ "$failed" -gt 0 ]; then
	echo "fuzz: $failed of ${#targets[@]} targets failed: the inputs above are in testdata/fuzz/, and now seeds of make test" >&2
	exit 1
fi
