. "$(dirname "$0")/../../lib/lab.sh"
# hostA ── siteA ── router ── siteB ── hostB: route-based (vti42). hostA pings hostB 20 times a second
# through every phase; the router counts LAN-to-LAN packets that cross it unencrypted (see routed_topology).
routed_topology
charon_of() { ip netns pids "$1" | while read p; do [ "$(cat /proc/$p/comm 2>/dev/null)" = charon ] && echo $p; done; }

init_site siteA && init_site siteB || fail "init"
echo "guards after init: siteA $(guard_count siteA), siteB $(guard_count siteB)"
start_pinger hostA 203.0.113.10

# 1. init has made the VTI and its route, no charon yet: nothing may leave.
phase_begin "init done, run not started"; sleep 1.5; phase_end
# 2. charon negotiating: siteA first, siteB a second later; until the first reply.
phase_begin "negotiating"
start_site siteA; sleep 1; start_site siteB
wait_for 20 replies_since "$PHASE_R0" || fail "no reply within 20 s of starting the sites"
phase_end
# 3. The tunnel up: replies come back, the SAs count the traffic (it crossed, encrypted).
esp0=$(esp_packets siteA)
phase_begin "up"; sleep 2; phase_end
[ "$PHASE_REPLIES" -gt 20 ] && ok "up: $PHASE_REPLIES replies in 2 s" || fail "up: only $PHASE_REPLIES replies"
esp=$(( $(esp_packets siteA) - esp0 ))
[ "$esp" -gt 20 ] && ok "up: siteA's SAs carried $esp packets (encrypted)" || fail "up: siteA's SAs carried $esp packets"
# 4. siteA's charon killed (SIGKILL, as the OOM killer would): run exits, the kernel keeps what it had.
phase_begin "charon SIGKILLed"
kill -KILL $(charon_of siteA); wait "$(cat /tmp/siteA.job)"; rc=$?; rm -f /tmp/siteA.pid
echo "run exited $rc after its charon was killed; guards: $(guard_count siteA)"
sleep 2; phase_end
# 5. run restarted: it removes the dead charon's SAs and negotiates again; until replies come back.
phase_begin "run restarted"
start_site siteA
# The dead charon's SAs may carry traffic until the new run removes them: wait for its own CHILD_SA.
wait_for 20 status_of siteA || fail "siteA's tunnel not up within 20 s of the restart"
r=$(icmp_counter hostA InEchoReps); wait_for 10 replies_since "$r" || fail "no reply after the restart"
sleep 1; phase_end
# 6. run stopped (SIGTERM): charon removes its SAs and policies.
phase_begin "run stopped (SIGTERM)"
stop_site siteA; echo "run exited $STOP_STATUS; guards: $(guard_count siteA)"
sleep 2; phase_end
[ "$PHASE_REPLIES" -lt 5 ] || fail "stopped: $PHASE_REPLIES replies with siteA's run stopped (the tunnel should be gone)"
# 7. The VTI removed by hand: its route goes with it, the default route (the router) is left.
phase_begin "VTI removed"
ip -n siteA link del vti42
ip -n siteA route get 203.0.113.10 from 198.51.100.10 iif lanA 2>&1 | head -1
sleep 2; phase_end
# 8. init and run again: traffic resumes.
phase_begin "restart after removal"
init_site siteA || fail "init after the VTI was removed"
start_site siteA
wait_for 20 replies_since "$PHASE_R0" || fail "traffic did not resume within 20 s"
sleep 1; phase_end
[ "$PHASE_REPLIES" -gt 0 ] && ok "traffic resumed after the restart" || fail "traffic did not resume"
# 9. Negative: the same, with the guard turned off (IPSEC_FAIL_CLOSED=no): the counter must see the leak
# once run stops and the VTI is gone.
stop_site siteA
EXTRA_ENV="IPSEC_FAIL_CLOSED=no" init_site siteA || fail "init with IPSEC_FAIL_CLOSED=no"
echo "guards with IPSEC_FAIL_CLOSED=no: $(guard_count siteA)"
[ "$(guard_count siteA)" = 0 ] || fail "IPSEC_FAIL_CLOSED=no left $(guard_count siteA) guards"
phase_begin "guard off (IPSEC_FAIL_CLOSED=no), VTI removed"
ip -n siteA link del vti42
sleep 1.5; phase_end some
stop_pinger
# The intended decommissioning: `teardown` (same environment) removes the VTI and every guard of ours.
init_site siteA || fail "init with the guard on again"
[ "$(guard_count siteA)" -gt 0 ] || fail "init put no guard back"
ip netns exec siteA sh -c "set -a; . '$SCENARIO_DIR/siteA.env'; set +a; exec '$VNF' teardown" > /tmp/teardown.txt 2>&1; rc=$?
cat /tmp/teardown.txt
[ "$rc" = 0 ] && [ "$(guard_count siteA)" = 0 ] && ! ip -n siteA link show vti42 >/dev/null 2>&1 \
    && ok "teardown removed vti42 and every guard" || fail "teardown: exit $rc, $(guard_count siteA) guards left, vti42 $(ip -n siteA link show vti42 >/dev/null 2>&1 && echo still there || echo gone)"
finish
