. "$(dirname "$0")/../../lib/lab.sh"
# hostH ── hub ══ wan (bridge) ══ spoke1 ── host1   hub 192.0.2.1, spoke1 .2, spoke2 .3
#                              ══ spoke2 ── host2   LANs 198.51.100.0/24, 203.0.113.0/25, 203.0.113.128/25
wan_switch 192.0.2 hub:wanH.1 spoke1:wan1.2 spoke2:wan2.3
lan hub lanH 198.51.100.1/24 hostH 198.51.100.10
lan spoke1 lan1 203.0.113.1/25 host1 203.0.113.10
lan spoke2 lan2 203.0.113.129/25 host2 203.0.113.130
HUB="$SCENARIO_DIR/hub.yaml"
# Shorter IKE retransmissions for the hub's charon only (see retransmit.conf).
cp -a /etc/strongswan.d /tmp/hub-strongswan.d && cp "$SCENARIO_DIR/retransmit.conf" /tmp/hub-strongswan.d/zz-lab-retransmit.conf
MOUNTS_hub="mount --bind /tmp/hub-strongswan.d /etc/strongswan.d"

ip netns exec hub "$VNF" check --config "$HUB" >> /tmp/hub.log 2>&1 && ok "check --config accepts the hub's file" || fail "check --config: $(tail -5 /tmp/hub.log)"
init_config hub "$HUB" || fail "hub init --config"
init_config hub "$HUB" || fail "hub init is not idempotent"
init_site spoke1 || fail "spoke1 init"
init_site spoke2 || fail "spoke2 init (IPSEC_CONFIG_FILE)"
for spec in 41:192.0.2.2:169.254.41.1:169.254.41.2:203.0.113.0/25 42:192.0.2.3:169.254.42.1:169.254.42.2:203.0.113.128/25; do
    IFS=: read key remote p2p peer net <<SPEC
$spec
SPEC
    ip -n hub -d link show vti$key | grep -q "vti remote $remote local 192.0.2.1 ikey 0.0.0.$key okey 0.0.0.$key" \
        && ok "hub vti$key: key $key, endpoints 192.0.2.1 -> $remote" || fail "hub vti$key: $(ip -n hub -d link show vti$key 2>&1)"
    ip -n hub addr show dev vti$key | grep -q "inet $p2p peer $peer/30" && ok "hub vti$key: p2p $p2p -> $peer" || fail "hub vti$key address: $(ip -n hub addr show dev vti$key 2>&1)"
    ip -n hub route show "$net" | grep -q "dev vti$key" && ok "hub routes $net into vti$key" || fail "hub route $net: $(ip -n hub route show $net)"
done
ip -n spoke2 -d link show vti42 | grep -q "vti remote 192.0.2.1 local 192.0.2.3 ikey 0.0.0.42" && ok "spoke2 vti42 from its configuration file" || fail "spoke2 vti42: $(ip -n spoke2 -d link show vti42 2>&1)"
ip -n spoke1 route show 203.0.113.128/25 | grep -q "dev vti41" && ok "spoke1 routes spoke2's LAN into vti41" || fail "spoke1 route: $(ip -n spoke1 route show 203.0.113.128/25)"

# The hub (a responder) is up first: a spoke's IKE_SA_INIT reaching a charon that has not loaded its
# connections yet gets NO_PROPOSAL_CHOSEN, and only traffic into the spoke's trap would retry it.
start_config hub "$HUB"
wait_for 30 grep -q "2 connections loaded" /tmp/hub.log || fail "the hub did not load its 2 connections"
t0=$(date +%s.%N)
start_site spoke1
start_site spoke2
if wait_for 30 status_of hub; then
    echo "both-tunnels-up-seconds (spokes started): $(echo "$(date +%s.%N) - $t0" | bc)"
    ok "hub status exit 0"
else
    fail "hub status did not reach exit 0 within 30 s"
fi
status_of hub > /tmp/status.txt; cat /tmp/status.txt
grep -q "^2 of 2 tunnels up" /tmp/status.txt && grep -q "^spoke1: up" /tmp/status.txt && grep -q "^spoke2: up" /tmp/status.txt \
    && ok "hub status lists spoke1 and spoke2 up" || fail "hub status does not list both tunnels up"
status_of spoke2 >/dev/null && ok "spoke2 (configuration file) status exit 0" || fail "spoke2 status exit $?"

t1=$(date +%s.%N)
ping_across host1 198.51.100.10
ping_across host2 198.51.100.10
ping_across hostH 203.0.113.10
ping_across hostH 203.0.113.130
t2=$(date +%s.%N)
ping_across host1 203.0.113.130
ping_across host2 203.0.113.10
echo "spoke-to-spoke-seconds: $(echo "$(date +%s.%N) - $t2" | bc)"
for key in 41 42; do
    ip -n hub xfrm state | grep -q "mark 0x$(printf %x $key)/0xffffffff" && ok "hub SAs with mark $key" || fail "no hub SA with mark $key"
    rx=$(ip -n hub -j -s link show vti$key | grep -o '"rx":{[^}]*' | grep -o '"packets":[0-9]*' | cut -d: -f2)
    tx=$(ip -n hub -j -s link show vti$key | grep -o '"tx":{[^}]*' | grep -o '"packets":[0-9]*' | cut -d: -f2)
    [ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] && ok "hub vti$key carried traffic (rx $rx, tx $tx packets)" || fail "hub vti$key: rx ${rx:-0} tx ${tx:-0}"
done
grep -q "spoke1\[[0-9]*\]" /tmp/hub.log && grep -q "spoke2\[[0-9]*\]" /tmp/hub.log && ok "charon's log lines name both connections" || fail "hub log lacks the connection names"

# spoke1 crashes while spoke2's LAN talks to the hub's: spoke2's traffic and SAs must not notice.
spis_before=$(keyed_spis hub 192.0.2.1 192.0.2.3)
[ -n "$spis_before" ] && ok "hub<->spoke2 SAs: $(echo $spis_before)" || fail "no hub<->spoke2 SAs"
ip netns exec host2 ping -i 0.1 -W1 198.51.100.10 > /tmp/ping2.txt 2>&1 &
pinger=$!
sleep 2
t3=$(date +%s.%N)
kill_site spoke1
ok "spoke1's vnf-ipsec and charon killed (SIGKILL)"
hub_status_is() { status_of hub >/dev/null 2>&1; [ $? = "$1" ]; }
if wait_for 40 hub_status_is 1; then
    echo "hub-notices-dead-spoke-seconds: $(echo "$(date +%s.%N) - $t3" | bc)"
    ok "hub status exit 1 (some up) after spoke1 died"
else
    fail "hub status did not drop to exit 1 within 40 s"
fi
sleep 2
kill -INT $pinger; wait $pinger
tail -3 /tmp/ping2.txt
sent=$(grep -o "[0-9]* packets transmitted" /tmp/ping2.txt | cut -d' ' -f1)
got=$(grep -o "[0-9]* received" /tmp/ping2.txt | cut -d' ' -f1)
lost=$(( ${sent:-0} - ${got:-0} ))
[ "${sent:-0}" -gt 20 ] && [ "$lost" -le 1 ] && ok "spoke2's ping: $got of $sent came back while spoke1 died" || fail "spoke2's ping lost $lost of ${sent:-0}"
spis_after=$(keyed_spis hub 192.0.2.1 192.0.2.3)
[ "$spis_before" = "$spis_after" ] && ok "hub<->spoke2 SAs untouched: $(echo $spis_after)" || fail "hub<->spoke2 SAs changed: $(echo $spis_before) -> $(echo $spis_after)"
status_of hub > /tmp/status.txt; rc=$?; cat /tmp/status.txt
[ "$rc" = 1 ] && grep -q "^spoke1: down" /tmp/status.txt && grep -q "^spoke2: up" /tmp/status.txt \
    && ok "hub status: 1 of 2 up, spoke1 down" || fail "hub status exit $rc"
status_of hub --tunnel spoke2 >/dev/null && ok "hub status --tunnel spoke2 exit 0" || fail "hub status --tunnel spoke2 exit $?"
status_of hub --tunnel spoke1 >/dev/null; rc=$?
[ "$rc" = 2 ] && ok "hub status --tunnel spoke1 exit 2" || fail "hub status --tunnel spoke1 exit $rc"
ping_across hostH 203.0.113.130
finish_sites hub spoke1 spoke2
