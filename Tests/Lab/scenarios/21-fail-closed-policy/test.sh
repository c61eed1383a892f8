. "$(dirname "$0")/../../lib/lab.sh"
# hostA ── siteA ── router ── siteB ── hostB: policy-based (charon's policies, no VTI). hostA pings hostB
# 20 times a second through every phase; the router counts LAN-to-LAN packets that cross it unencrypted.
routed_topology
charon_of() { ip netns pids "$1" | while read p; do [ "$(cat /proc/$p/comm 2>/dev/null)" = charon ] && echo $p; done; }

# init (the init container; a policy-based gateway needs it only for the guard to stand before run starts).
init_site siteA && init_site siteB || fail "init"
echo "guards after init: siteA $(guard_count siteA), siteB $(guard_count siteB)"
start_pinger hostA 203.0.113.10

# 1. No charon yet: nothing may leave.
phase_begin "init done, run not started"; sleep 1.5; phase_end
# 2. charon starting and negotiating (upstream leaked here until charon had loaded its trap policies).
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
# 4. siteA's charon killed (SIGKILL): run exits, the kernel keeps the dead charon's SAs and policies.
phase_begin "charon SIGKILLed"
kill -KILL $(charon_of siteA); wait "$(cat /tmp/siteA.job)"; rc=$?; rm -f /tmp/siteA.pid
echo "run exited $rc after its charon was killed; guards: $(guard_count siteA)"
sleep 2; phase_end
# 5. run restarted: it removes the dead charon's SAs (and policies) and negotiates again.
phase_begin "run restarted"
start_site siteA
wait_for 20 status_of siteA || fail "siteA's tunnel not up within 20 s of the restart"
r=$(icmp_counter hostA InEchoReps); wait_for 10 replies_since "$r" || fail "no reply after the restart"
sleep 1; phase_end
# 6. run stopped (SIGTERM): charon removes its SAs and policies (upstream: everything leaked from here on).
phase_begin "run stopped (SIGTERM)"
stop_site siteA; echo "run exited $STOP_STATUS; guards: $(guard_count siteA)"
sleep 2; phase_end
[ "$PHASE_REPLIES" -lt 5 ] || fail "stopped: $PHASE_REPLIES replies with siteA's run stopped (the tunnel should be gone)"
# 7. run again: traffic resumes.
phase_begin "restart after stop"
start_site siteA
wait_for 20 replies_since "$PHASE_R0" || fail "traffic did not resume within 20 s"
sleep 1; phase_end
[ "$PHASE_REPLIES" -gt 0 ] && ok "traffic resumed after the restart" || fail "traffic did not resume"
# 8. Negative: the guard turned off. A `run` with IPSEC_FAIL_CLOSED=no removes ours (none may be left once
# its tunnel is up); when it stops, the counter must see the leak.
stop_site siteA
EXTRA_ENV="IPSEC_FAIL_CLOSED=no" start_site siteA
wait_for 20 status_of siteA || fail "siteA (IPSEC_FAIL_CLOSED=no) not up within 20 s"
echo "guards with IPSEC_FAIL_CLOSED=no: $(guard_count siteA)"
[ "$(guard_count siteA)" = 0 ] || fail "IPSEC_FAIL_CLOSED=no left $(guard_count siteA) guards"
phase_begin "guard off (IPSEC_FAIL_CLOSED=no), run stopped"
stop_site siteA
sleep 1.5; phase_end some
stop_pinger
finish
