# The lab part of scripts/hot-functions.sh, not a test: a route-based gateway (lab scenario 02's sites:
# VTI, kernel ESP, metrics, JSON logs), which the host cannot run (no VTI, no ESP), traced by callgrind
# in a user-mode-Linux guest. scripts/hot-functions.sh puts the binary, the valgrind spawn shim and the
# wrapper below in .build-static/hot-functions and runs this folder through Tests/Lab/run.sh.
. "$LAB_ROOT/Tests/Lab/lib/lab.sh"
hot="$LAB_ROOT/.build-static/hot-functions"
SCENARIO_DIR="$LAB_ROOT/Tests/Lab/scenarios/02-route-based-vti"
VNF="$hot/vnf-ipsec"
topology
init_site siteA && init_site siteB || fail "init"
start_site siteB
# siteA's run under callgrind (everything about 50 times slower): the trace lands in the results folder.
VNF="$hot/traced"; start_site siteA; VNF="$hot/vnf-ipsec"
pid=$(site_pid siteA)
if wait_for 180 ip netns exec hostA ping -c1 -W1 203.0.113.10; then ok "ping through the traced gateway"; else fail "no ping"; fi
ip netns exec hostA ping -q -c20 -i0.1 203.0.113.10 >/dev/null
for _ in 1 2 3 4 5; do
    for path in metrics readyz healthz; do ip netns exec siteA curl -s -m 60 -o /dev/null "http://127.0.0.1:9500/$path"; done
    sleep 2
done
status_of siteA >/dev/null
kill -HUP "$pid"; sleep 15
kill -TERM "$pid"
for _ in $(seq 180); do alive "$pid" || break; sleep 1; done
alive "$pid" && fail "the traced run did not stop within 180 s"
grep -q '"stopped"\|stopped$' /tmp/siteA.log && ok "the traced run stopped" || fail "the traced run did not log its stop"
[ -s "$OUT/route-based.callgrind" ] && ok "trace written" || fail "no trace"
finish
