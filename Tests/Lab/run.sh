#!/usr/bin/env bash
# The lab: each scenario under Tests/Lab/scenarios runs in a fresh user-mode-Linux guest (a real 6.1 kernel
# with ESP and VTI), driving the real vnf-ipsec binary. Usage: run.sh [SCENARIO...] (default: all).
# A SCENARIO is a name under Tests/Lab/scenarios or a folder of the checkout holding a test.sh (the lab
# benchmarks live under Benchmarks/lab). LAB_BUILD=release drives .build/release/vnf-ipsec instead of debug.
#
# LAB_JOBS guests run at the same time (default 2 on a machine with 2 or more cores, else 1): each is a
# uniprocessor kernel, and a guest shares nothing with another (its /tmp, /run and network namespaces are
# its own, the host's root is read-only in it, its results folder is Tests/Lab/results/SCENARIO). A scenario
# whose checks depend on timing (packet loss, failover seconds, rates) holds a file `exclusive` saying why:
# it runs alone, after the others, with no other guest beside it; so does every folder outside
# Tests/Lab/scenarios (the benchmarks measure). See Tests/Lab/README.md.
#
# Prints one block per scenario, whole, in a fixed order (the scenarios that share the machine in the
# order given, then the exclusive ones): `PASS NAME (...)`, or `FAIL NAME (exit N)` and the scenario's
# output. Then the lab's wall time and `N passed, N failed`; exit 1 when any failed.
set -uo pipefail
lab=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$lab/../.." && pwd)
build=${LAB_BUILD:-debug}
[ -x "$root/.build/$build/vnf-ipsec" ] || { echo "lab: build first (swift build -c $build)"; exit 1; }
command -v linux.uml >/dev/null || { echo "lab: user-mode-linux missing (scripts/setup.sh)"; exit 1; }
lanes=${LAB_JOBS:-$( [ "$(nproc)" -ge 2 ] && echo 2 || echo 1 )}
case "$lanes" in ''|*[!0-9]*|0) echo "lab: LAB_JOBS must be a whole number from 1 (is '$lanes')"; exit 1;; esac
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || mapfile -t scenarios < <(ls "$lab/scenarios")
passed=0; failed=0
lab_start=$(date +%s)

# Which scenarios run, in which order: names, folders, and whether each must run alone.
shared=(); alone=()
for scenario in "${scenarios[@]}"; do
  if [ -f "$scenario/test.sh" ]; then dir=$(cd "$scenario" && pwd); else dir="$lab/scenarios/$scenario"; fi
  [ -f "$dir/test.sh" ] || { echo "lab: no scenario $scenario"; failed=$((failed + 1)); continue; }
  case "$dir" in "$root"/*) ;; *) echo "lab: $dir is outside the checkout"; failed=$((failed + 1)); continue;; esac
  if [ "${dir%/*}" != "$lab/scenarios" ] || [ -f "$dir/exclusive" ]; then alone+=("$dir"); else shared+=("$dir"); fi
done
order=("${shared[@]}" "${alone[@]}")

# Each scenario's block and exit status go to files here, so blocks finishing together never interleave.
reports=$(mktemp -d)
# Interrupted: the runners, then their guests (timeout passes the signal on to linux.uml).
trap 'kill $(jobs -p) 2>/dev/null; for p in "$reports"/*.pid; do [ -s "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null; done; exit 130' INT TERM
trap 'rm -rf "$reports"' EXIT

# run_guest N DIR: scenario DIR in its own guest; writes $reports/N (its block), then $reports/N.rc.
run_guest() {
  local n=$1 dir=$2 scenario results start rc seconds
  scenario=$(basename "$dir")
  results="$lab/results/$scenario"
  rm -rf "$results"; mkdir -p "$results"
  start=$(date +%s)
  # One guest per scenario: nothing leaks from one to the next. Bounded: a hung guest is killed.
  timeout "${LAB_GUEST_TIMEOUT:-300}" linux.uml mem=768M root=/dev/root rootfstype=hostfs rootflags=/ ro \
      init="$lab/lib/guest-init.sh" LAB_ROOT="$root" LAB_RESULTS="$results" LAB_SCENARIO="${dir#"$root"/}" \
      LAB_DEMO="${LAB_DEMO:-0}" LAB_BUILD="$build" LAB_TIMEOUT="${LAB_TIMEOUT:-240}" \
      BENCH_ROUNDS="${BENCH_ROUNDS:-}" BENCH_SECONDS="${BENCH_SECONDS:-}" BENCH_PROPOSALS="${BENCH_PROPOSALS:-}" \
      BENCH_VTI_MTU="${BENCH_VTI_MTU:-}" con=null con0=fd:0,fd:1 quiet < /dev/null > "$results/console.log" 2>&1 &
  echo $! > "$reports/$n.pid"
  wait $!
  rm -f "$reports/$n.pid"
  { read -r rc seconds < "$results/verdict"; } 2>/dev/null || { rc=99; seconds="?"; }
  if [ "$rc" = 0 ]; then
    echo "PASS $scenario ($(printf %.0f "$seconds")s in the guest, $(( $(date +%s) - start ))s in all)"
  else
    echo "FAIL $scenario (exit $rc)"
    cat "$results/output.log" 2>/dev/null || tail -50 "$results/console.log"
  fi > "$reports/$n"
  echo "$rc" > "$reports/$n.rc"
}

# print_finished: the blocks of the scenarios finished so far, in order, up to the first still running.
printed=0
print_finished() {
  while [ "$printed" -lt "${#order[@]}" ] && [ -f "$reports/$printed.rc" ]; do
    cat "$reports/$printed"
    if [ "$(cat "$reports/$printed.rc")" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    printed=$((printed + 1))
  done
}

# wait_below LIMIT: returns once fewer than LIMIT guests run, printing blocks as they finish.
started=0
wait_below() {
  while [ $(( started - $(find "$reports" -name '*.rc' | wc -l) )) -ge "$1" ]; do
    wait -n 2>/dev/null; [ $? = 127 ] && break   # no runner left: one died before its verdict
    print_finished
  done
  print_finished
}

for n in "${!order[@]}"; do
  if [ "$n" -ge "${#shared[@]}" ]; then wait_below 1; else wait_below "$lanes"; fi
  run_guest "$n" "${order[$n]}" &
  started=$((started + 1))
done
wait_below 1
wait
for n in "${!order[@]}"; do   # a runner killed before its verdict still counts, as a failure
  [ -f "$reports/$n.rc" ] || { echo "FAIL $(basename "${order[$n]}") (no verdict: its runner was killed)" > "$reports/$n"; echo 98 > "$reports/$n.rc"; }
done
print_finished
echo "lab: ${#order[@]} scenarios in $(( $(date +%s) - lab_start ))s (${#shared[@]} up to $lanes at a time, ${#alone[@]} alone)"
echo "lab: ${passed} passed, ${failed} failed"
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
