# Lab benchmark: failover time. The topology and configuration of lab scenario 18 (gw with tun1 to cloud1,
# the primary, and tun2 to cloud2, the backup; dpd_delay 1s, retransmit 0.5 s × 1.5^n, 2 tries). Each round:
# hostA pings hostC every 0.05 s, cloud1 loses its links and is SIGKILLed, and the round records
#   failover   kill → first reply to an echo request sent once cloud1's links were down (it crossed cloud2
#              both ways), from the moment just before the links went down (an upper bound);
#   detection  kill → vti51 administratively down (charon declared cloud1 dead, vnf-ipsec took the VTI down),
#              timestamped by the kernel's link notification (`ip -ts monitor link`);
#   switch     failover − detection (route withdrawn, the next echo through vti52 and back);
#   back       cloud1's links up and its run started → the route into vti51 back.
# The detection budget the settings allow (dpd_delay + 0.5 + 0.75 + 1.125 s = 3.4 s, plus up to one
# dpd_delay before the first probe) is the reference. Run through Benchmarks/lab.sh, never in CI.
. "$LAB_ROOT/Tests/Lab/lib/lab.sh"
. "$LAB_ROOT/Benchmarks/lab/lib.sh"
rounds=${BENCH_ROUNDS:-5}
SCENARIO_DIR="$LAB_ROOT/Tests/Lab/scenarios/18-failover"
GW="$SCENARIO_DIR/gw.yaml"
failover_topology
init_config gw "$GW" && init_site cloud1 && init_site cloud2 || fail "init"
start_site cloud1; start_site cloud2
for s in cloud1 cloud2; do wait_for 30 grep -q "connection loaded" /tmp/$s.log || fail "$s did not load its connection"; done
start_config gw "$GW"
wait_for 30 status_of gw || fail "gw: both tunnels not up within 30 s"
primary_routed() { ip -n gw route show 10.0.0.0/24 | grep -q 'dev vti51'; }
: > /tmp/rounds
for round in $(seq "$rounds"); do
    wait_for 30 primary_routed && wait_for 10 status_of gw || { fail "round $round: tun1 not back"; break; }
    sleep 2
    ip -n gw -ts monitor link > /tmp/monitor.txt 2>&1 & monitor=$!
    ip netns exec hostA ping -D -i 0.05 -W 1 10.0.0.10 > /tmp/ping.txt 2>&1 & pinger=$!
    sleep 1
    # The kill starts at t_kill; from t_gone on cloud1 has no links, so an echo request sent later cannot cross it.
    t_kill=$(date +%s.%N)
    cloud_down 1
    t_gone=$(date +%s.%N)
    kill_site cloud1
    # vti51 goes down when charon reports tun1's CHILD_SA gone: the moment from the kernel's own link
    # notification, timestamped by `ip -ts monitor` (started before the round; polling would add its latency).
    wait_for 20 sh -c "grep -q 'vti51@NONE: <POINTOPOINT,NOARP>' /tmp/monitor.txt" || fail "round $round: vti51 did not go down"
    stamp=$(grep -m1 'vti51@NONE: <POINTOPOINT,NOARP>' /tmp/monitor.txt | sed 's/^\[\([^]]*\)\].*/\1/')
    t_down=$(date -d "$stamp" +%s.%N)
    sleep 3
    kill -INT $pinger; wait $pinger; kill $monitor; wait $monitor 2>/dev/null
    failover=$(failover_seconds /tmp/ping.txt "$t_kill" "$t_gone")
    { cat /tmp/ping.txt; echo "kill at $t_kill, links down at $t_gone, vti51 down at $t_down"; } > "$OUT/ping-round$round.txt"
    detection=$(echo "$t_down - $t_kill" | bc)
    [ -n "$failover" ] || { fail "round $round: no reply through cloud2"; failover=999; }
    echo "failover $failover" >> /tmp/rounds
    echo "detection $detection" >> /tmp/rounds
    echo "switch $(echo "$failover - $detection" | bc)" >> /tmp/rounds
    t_back=$(date +%s.%N)
    cloud_up 1
    start_site cloud1
    wait_for 40 primary_routed || fail "round $round: the route into vti51 did not come back"
    echo "back $(echo "$(date +%s.%N) - $t_back" | bc)" >> /tmp/rounds
    printf 'round %d: failover %.2f s, detection %.2f s, primary back %.2f s\n' "$round" "$failover" "$detection" "$(grep '^back ' /tmp/rounds | tail -1 | cut -d' ' -f2)"
done
for v in failover detection switch back; do
    printf '%-10s median %.2f s, rounds: %s\n' "$v" "$(median $v)" "$(grep "^$v " /tmp/rounds | awk '{printf "%.2f ", $2}')"
done
finish_sites gw cloud1 cloud2
