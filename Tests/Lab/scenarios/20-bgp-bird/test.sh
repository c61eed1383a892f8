. "$(dirname "$0")/../../lib/lab.sh"
# hostA ── siteA ── router ── siteB ── hostB, route-based (vti42) without static routes: each site's BIRD
# peers with the other's over the VTI's p2p addresses and learns the remote LAN through the tunnel. The
# router counts LAN-to-LAN packets crossing it unencrypted (routed_topology).
routed_topology
# bird SITE: that site's BIRD in its network namespace, its own configuration and control socket.
bird_start() { ip netns exec "$1" bird -f -c "$SCENARIO_DIR/bird-$1.conf" -s "/tmp/bird-$1.ctl" -P "/tmp/bird-$1.pid" > "/tmp/bird-$1.log" 2>&1 & }
birdc_at() { s=$1; shift; birdc -s "/tmp/bird-$s.ctl" "$@"; }
learned() { ip -n "$1" route show "$2" proto bird | grep -q "dev vti42"; }
established() { birdc_at "$1" show protocols "$2" | grep -q Established; }

init_site siteA && init_site siteB || fail "init"
for s in siteA siteB; do bird_start $s; done
wait_for 10 birdc_at siteA show status || fail "siteA's BIRD does not answer on its socket"
# The responder first: an IKE_SA_INIT reaching a charon that has not loaded its connection is refused.
start_site siteB
wait_for 30 grep -q "connection loaded" /tmp/siteB.log || fail "siteB did not load its connection"
t0=$(date +%s.%N)
start_site siteA
if wait_for 30 learned siteA 203.0.113.0/24; then
    echo "route-learned-seconds (siteA started): $(echo "$(date +%s.%N) - $t0" | bc)"
    ok "siteA learned 203.0.113.0/24 from BIRD: $(ip -n siteA route show 203.0.113.0/24)"
else
    fail "siteA did not learn 203.0.113.0/24 within 30 s: $(ip -n siteA route show 203.0.113.0/24)"
fi
wait_for 10 learned siteB 198.51.100.0/24 && ok "siteB learned 198.51.100.0/24: $(ip -n siteB route show 198.51.100.0/24)" || fail "siteB did not learn 198.51.100.0/24"
established siteA siteB && established siteB siteA && ok "BGP sessions established both ways" || fail "BGP: $(birdc_at siteA show protocols siteB)"
birdc_at siteA show route 203.0.113.0/24
ip -n siteA route show 203.0.113.0/24 | grep -q "via 169.254.42.2" && ok "next hop: siteB's p2p address" || fail "next hop: $(ip -n siteA route show 203.0.113.0/24)"
ping_across hostA 203.0.113.10
ping_across hostB 198.51.100.10
esp_counted

# siteB's run stops (SIGTERM): charon deletes the SAs, siteA's CHILD_SA goes, its VTI goes down, the BGP
# session ends and the route disappears; hostA keeps sending to hostB, and none of it may leave in cleartext.
start_pinger hostA 203.0.113.10
sleep 0.5
phase_begin "siteB stopped, route withdrawn"
t1=$(date +%s.%N)
stop_site siteB
vti_down() { ! ip -n siteA link show vti42 | head -1 | grep -q '[<,]UP[,>]'; }
if wait_for 5 vti_down; then
    echo "vti-down-seconds: $(echo "$(date +%s.%N) - $t1" | bc)"
    ok "siteA's vti42 went down with its CHILD_SA"
else
    fail "siteA's vti42 still up 5 s after siteB stopped: $(ip -n siteA link show vti42 | head -1)"
fi
# What is left is the fail-closed guard (an unreachable route at metric 4000000000).
if wait_for 10 sh -c "! ip -n siteA route show 203.0.113.0/24 | grep -q 'dev vti42'"; then
    echo "route-withdrawn-seconds: $(echo "$(date +%s.%N) - $t1" | bc)"
    ok "siteA's route to 203.0.113.0/24 through vti42 is gone; left: $(ip -n siteA route show 203.0.113.0/24 | tr '\n' ' ')"
else
    fail "siteA still routes 203.0.113.0/24 into vti42: $(ip -n siteA route show 203.0.113.0/24)"
fi
wait_for 5 sh -c "! birdc -s /tmp/bird-siteA.ctl show protocols siteB | grep -q Established" && ok "siteA's BGP session is down: $(birdc_at siteA show protocols siteB | tail -1)" || fail "siteA's BGP session still established"
sleep 2
phase_end

# siteB back: the tunnel, the session and the route return.
phase_begin "siteB restarted, route learned again"
t2=$(date +%s.%N)
start_site siteB
if wait_for 30 learned siteA 203.0.113.0/24; then
    echo "route-relearned-seconds: $(echo "$(date +%s.%N) - $t2" | bc)"
    ok "siteA learned 203.0.113.0/24 again"
else
    fail "siteA did not learn 203.0.113.0/24 again within 30 s"
fi
r=$(icmp_counter hostA InEchoReps); wait_for 10 replies_since "$r" || fail "no reply after siteB came back"
phase_end
stop_pinger
for s in siteA siteB; do kill "$(cat /tmp/bird-$s.pid)" 2>/dev/null; cp /tmp/bird-$s.log "$OUT/" 2>/dev/null; done
[ "$failures" -gt 0 ] && for s in siteA siteB; do echo "---- $s: BIRD"; tail -20 /tmp/bird-$s.log; done
finish
