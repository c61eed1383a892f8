. "$(dirname "$0")/../../lib/lab.sh"
# hostA ── gw ══ wan (bridge) ══ cloud1 ── c1 ┐
#                             ══ cloud2 ── c2 ┴ hostC (10.0.0.10 on lo: the remote site's network 10.0.0.0/24)
# gw 192.0.2.1, cloud1 .11, cloud2 .12; hostC routes back through cloud1 (metric 10), else cloud2 (20).
failover_topology
GW="$SCENARIO_DIR/gw.yaml"
vti_tx() { ip netns exec "$1" cat /sys/class/net/$2/statistics/tx_packets; }

ip netns exec gw "$VNF" check --config "$GW" >> /tmp/gw.log 2>&1 && ok "check --config accepts two tunnels routing 10.0.0.0/24 at metrics 10 and 20" || fail "check --config: $(tail -5 /tmp/gw.log)"
init_config gw "$GW" || fail "gw init --config"
init_site cloud1 && init_site cloud2 || fail "cloud init"
start_site cloud1; start_site cloud2
for s in cloud1 cloud2; do wait_for 30 grep -q "connection loaded" /tmp/$s.log || fail "$s did not load its connection"; done
start_config gw "$GW"
wait_for 30 status_of gw || fail "gw: both tunnels not up within 30 s"
status_of gw | head -3
# status answers from charon; the VTIs follow a moment later.
both_routed() { ip -n gw route show 10.0.0.0/24 | grep -q "dev vti51 .*metric 10" && ip -n gw route show 10.0.0.0/24 | grep -q "dev vti52 .*metric 20"; }
wait_for 5 both_routed
ip -n gw route show 10.0.0.0/24
both_routed && ok "gw routes 10.0.0.0/24 into vti51 (metric 10) and vti52 (metric 20)" || fail "gw routes: $(ip -n gw route show 10.0.0.0/24)"
ping_across hostA 10.0.0.10
# Steady state: the primary carries the traffic, the backup nothing.
a0=$(vti_tx gw vti51); b0=$(vti_tx gw vti52)
ip netns exec hostA ping -c10 -i0.05 -W1 10.0.0.10 >/dev/null || fail "10 pings through the primary"
a=$(( $(vti_tx gw vti51) - a0 )); b=$(( $(vti_tx gw vti52) - b0 ))
[ "$a" -ge 10 ] && [ "$b" = 0 ] && ok "primary: vti51 +$a packets, vti52 +$b" || fail "primary: vti51 +$a, vti52 +$b packets"

# cloud1 dies (links down, every process of it SIGKILLed) while hostA pings hostC 20 times a second.
ip netns exec hostA ping -D -i 0.05 -W 1 10.0.0.10 > /tmp/failover-ping.txt 2>&1 & pinger=$!
sleep 1.5
b0=$(vti_tx gw vti52); c2rx0=$(esp_packets cloud2)
# The kill starts at t_kill; from t_down on cloud1 has no links, so an echo request sent later cannot cross it.
t_kill=$(date +%s.%N)
cloud_down 1
t_down=$(date +%s.%N)
kill_site cloud1
# The first reply to an echo request sent after the kill went both ways through cloud2 (cloud1 has no links).
backup_used() { [ $(( $(vti_tx gw vti52) - b0 )) -gt 5 ]; }
wait_for 15 backup_used || fail "vti52 carried nothing within 15 s of the kill"
sleep 2
kill -INT $pinger; wait $pinger
failover=$(failover_seconds /tmp/failover-ping.txt "$t_kill" "$t_down")
echo "kill at $t_kill, links down at $t_down" >> /tmp/failover-ping.txt; cp /tmp/failover-ping.txt "$OUT/"
lost=$(grep -o "[0-9]* packets transmitted, [0-9]* received" /tmp/failover-ping.txt)
echo "failover-seconds: ${failover:-none}"
echo "pings during the failover: $lost"
[ -n "$failover" ] && [ "$(echo "$failover <= 5" | bc)" = 1 ] && ok "failover in ${failover}s (goal: at most 5 s)" || fail "failover took ${failover:-forever} (goal: at most 5 s)"
b=$(( $(vti_tx gw vti52) - b0 )); c2=$(( $(esp_packets cloud2) - c2rx0 ))
[ "$b" -gt 20 ] && [ "$c2" -gt 20 ] && ok "after the kill: vti52 sent $b packets, cloud2's SAs counted $c2" || fail "after the kill: vti52 +$b, cloud2's SAs +$c2 packets"
ip -n gw route show 10.0.0.0/24 | grep -q "dev vti51" && fail "the primary's route stayed: $(ip -n gw route show 10.0.0.0/24)" || ok "gw withdrew the route into vti51"
ip -n gw link show vti51 | head -1

# cloud1 comes back: links up, its run again. gw's charon re-establishes tun1 (dpd_action restart), vti51
# comes up with its route, and hostC's replies take cloud1 again.
t_back=$(date +%s.%N)
cloud_up 1
start_site cloud1
if wait_for 40 sh -c "ip -n gw route show 10.0.0.0/24 | grep -q 'dev vti51'"; then
    echo "primary-back-seconds: $(echo "$(date +%s.%N) - $t_back" | bc)"
    ok "the route into vti51 is back"
else
    fail "the route into vti51 did not come back within 40 s"
fi
status_of gw --tunnel tun1 >/dev/null && ok "gw status --tunnel tun1 exit 0" || fail "gw status --tunnel tun1 exit $?"
wait_for 10 ip netns exec hostA ping -c1 -W1 10.0.0.10 || fail "no reply within 10 s of the route's return"
a0=$(vti_tx gw vti51); b0=$(vti_tx gw vti52); c1=$(esp_packets cloud1)
ip netns exec hostA ping -c10 -i0.05 -W1 10.0.0.10 >/dev/null || fail "10 pings after the primary came back"
a=$(( $(vti_tx gw vti51) - a0 )); b=$(( $(vti_tx gw vti52) - b0 )); c1=$(( $(esp_packets cloud1) - c1 ))
[ "$a" -ge 10 ] && [ "$b" = 0 ] && [ "$c1" -ge 20 ] && ok "traffic back on the primary: vti51 +$a, vti52 +$b, cloud1's SAs +$c1" \
    || fail "after cloud1 came back: vti51 +$a, vti52 +$b, cloud1's SAs +$c1 packets"
finish_sites gw cloud1 cloud2
