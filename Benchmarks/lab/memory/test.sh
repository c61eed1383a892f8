# Lab benchmark: peak RSS of a route-based gateway's `run` (lab scenario 02's sites: VTI, kernel ESP,
# metrics on, JSON logs) after traffic and 20 scrapes, for the shipped build (functions `run` executes
# placed first, scripts/hot-functions.order) against the same commit linked in the default layout.
# Benchmarks/lab.sh links both into .build-static/lab-memory; rounds alternate, each binary dropped from
# the guest's page cache first (docs/benchmarks.md, 8.3 and 8.4). Never in CI.
. "$LAB_ROOT/Tests/Lab/lib/lab.sh"
bins="$LAB_ROOT/.build-static/lab-memory"
SCENARIO_DIR="$LAB_ROOT/Tests/Lab/scenarios/02-route-based-vti"
topology
VNF="$bins/ordered"
init_site siteA && init_site siteB || fail "init"
for round in $(seq "${BENCH_ROUNDS:-3}"); do
    for variant in ordered unordered; do
        echo 3 > /proc/sys/vm/drop_caches
        VNF="$bins/$variant"
        start_site siteB; start_site siteA
        wait_for 30 ip netns exec hostA ping -c1 -W1 203.0.113.10 || fail "round $round, $variant: no ping"
        ip netns exec hostA ping -q -c20 -i0.1 203.0.113.10 >/dev/null
        for _ in $(seq 20); do ip netns exec siteA curl -s -m 5 -o /dev/null http://127.0.0.1:9500/metrics; sleep 0.5; done
        pid=$(site_pid siteA)
        peak=$(awk '/VmHWM/{print $2}' /proc/$pid/status); echo "$peak" >> /tmp/peaks-$variant
        echo "memory round $round $variant: run peak RSS $peak kB (file pages $(awk '/RssFile/{print $2}' /proc/$pid/status) kB), charon $(awk '/VmHWM/{print $2}' /proc/$(pgrep -P "$pid" charon)/status) kB"
        stop_site siteA; stop_site siteB
        [ "$STOP_STATUS" = 0 ] || fail "round $round, $variant: siteB exit $STOP_STATUS"
    done
done
for variant in ordered unordered; do
    echo "memory median $variant: run peak RSS $(sort -n /tmp/peaks-$variant | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}') kB"
done
finish
