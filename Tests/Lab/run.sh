#!/usr/bin/env bash
# The lab: each scenario under Tests/Lab/scenarios runs in a fresh user-mode-Linux guest (a real 6.1 kernel
# with ESP and VTI), driving the real vnf-ipsec binary. Usage: run.sh [SCENARIO...] (default: all).
# A SCENARIO is a name under Tests/Lab/scenarios or a folder of the checkout holding a test.sh (the lab
# benchmarks live under Benchmarks/lab). LAB_BUILD=release drives .build/release/vnf-ipsec instead of debug.
# Prints one line per scenario and `N passed, N failed`; exit 1 when any failed.
set -uo pipefail
lab=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$lab/../.." && pwd)
build=${LAB_BUILD:-debug}
[ -x "$root/.build/$build/vnf-ipsec" ] || { echo "lab: build first (swift build -c $build)"; exit 1; }
command -v linux.uml >/dev/null || { echo "lab: user-mode-linux missing (scripts/setup.sh)"; exit 1; }
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || mapfile -t scenarios < <(ls "$lab/scenarios")
passed=0; failed=0
for scenario in "${scenarios[@]}"; do
  if [ -f "$scenario/test.sh" ]; then dir=$(cd "$scenario" && pwd); scenario=$(basename "$dir"); else dir="$lab/scenarios/$scenario"; fi
  [ -f "$dir/test.sh" ] || { echo "lab: no scenario $scenario"; failed=$((failed + 1)); continue; }
  case "$dir" in "$root"/*) ;; *) echo "lab: $dir is outside the checkout"; failed=$((failed + 1)); continue;; esac
  results="$lab/results/$scenario"
  rm -rf "$results"; mkdir -p "$results"
  start=$(date +%s)
  # One guest per scenario: nothing leaks from one to the next. Bounded: a hung guest is killed.
  timeout "${LAB_GUEST_TIMEOUT:-300}" linux.uml mem=768M root=/dev/root rootfstype=hostfs rootflags=/ ro \
      init="$lab/lib/guest-init.sh" LAB_ROOT="$root" LAB_RESULTS="$results" LAB_SCENARIO="${dir#"$root"/}" \
      LAB_DEMO="${LAB_DEMO:-0}" LAB_BUILD="$build" LAB_TIMEOUT="${LAB_TIMEOUT:-240}" \
      BENCH_ROUNDS="${BENCH_ROUNDS:-}" BENCH_SECONDS="${BENCH_SECONDS:-}" BENCH_PROPOSALS="${BENCH_PROPOSALS:-}" \
      BENCH_VTI_MTU="${BENCH_VTI_MTU:-}" con=null con0=fd:0,fd:1 quiet < /dev/null > "$results/console.log" 2>&1
  read -r rc seconds < "$results/verdict" 2>/dev/null || { rc=99; seconds="?"; }
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1)); echo "PASS $scenario (${seconds%.*}s in the guest, $(( $(date +%s) - start ))s in all)"
  else
    failed=$((failed + 1)); echo "FAIL $scenario (exit $rc)"
    cat "$results/output.log" 2>/dev/null || tail -50 "$results/console.log"
  fi
done
echo "lab: ${passed} passed, ${failed} failed"
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
