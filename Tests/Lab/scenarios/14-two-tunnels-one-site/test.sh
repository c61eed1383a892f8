. "$(dirname "$0")/../../lib/lab.sh"
# hostA ── gw ══ wan (bridge) ══ cloud1 ── hostC1   gw 192.0.2.1, cloud1 .11, cloud2 .12
#                            ══ cloud2 ── hostC2   LANs 198.51.100.0/24; remote site 10.1.0.0/24, 10.2.0.0/24
wan_switch 192.0.2 gw:wanG.1 cloud1:wanC1.11 cloud2:wanC2.12
lan gw lanA 198.51.100.1/24 hostA 198.51.100.10
lan cloud1 lanC1 10.1.0.1/24 hostC1 10.1.0.10
lan cloud2 lanC2 10.2.0.1/24 hostC2 10.2.0.10
GW="$SCENARIO_DIR/gw.yaml"

ip netns exec gw "$VNF" check --config "$GW" >> /tmp/gw.log 2>&1 && ok "check --config accepts gw.yaml" || fail "check --config gw.yaml: $(tail -5 /tmp/gw.log)"
ip netns exec gw "$VNF" check --config "$SCENARIO_DIR/overlapping.yaml" > /tmp/overlap.txt 2>&1; rc=$?
[ "$rc" != 0 ] && grep -q "tunnels tun1 and tun2: route overlapping networks into two VTIs" /tmp/overlap.txt \
    && ok "check refuses overlapping routes into two VTIs (exit $rc)" || fail "overlapping routes: exit $rc, $(cat /tmp/overlap.txt)"
init_config gw "$GW" || fail "gw init --config"
init_site cloud1 && init_site cloud2 || fail "cloud init"
for n in 1 2; do
    ip -n gw -d link show vti5$n | grep -q "vti remote 192.0.2.1$n local 192.0.2.1 ikey 0.0.0.5$n okey 0.0.0.5$n" \
        && ok "gw vti5$n to 192.0.2.1$n" || fail "gw vti5$n: $(ip -n gw -d link show vti5$n 2>&1)"
    ip -n gw route show 10.$n.0.0/24 | grep -q "dev vti5$n" && ok "gw routes 10.$n.0.0/24 into vti5$n" || fail "gw route 10.$n.0.0/24: $(ip -n gw route show 10.$n.0.0/24)"
done

# The cloud side is up first: an IKE_SA_INIT that reaches a charon before its connection is loaded gets
# NO_PROPOSAL_CHOSEN, and charon does not retry that for start_action start (no trap to bring it back).
start_site cloud1
start_site cloud2
for s in cloud1 cloud2; do wait_for 30 grep -q "connection loaded" /tmp/$s.log || fail "$s did not load its connection"; done
t0=$(date +%s.%N)
start_config gw "$GW"
if wait_for 30 status_of gw; then
    echo "both-tunnels-up-seconds: $(echo "$(date +%s.%N) - $t0" | bc)"
    ok "gw status exit 0"
else
    fail "gw status did not reach exit 0 within 30 s"
fi
status_of gw > /tmp/status.txt; cat /tmp/status.txt
grep -q "^2 of 2 tunnels up" /tmp/status.txt && ok "gw status: 2 of 2 tunnels up" || fail "gw status does not list both tunnels up"
[ "$(grep -c "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384" /tmp/status.txt)" = 2 ] && ok "both IKE_SAs use the defaults' ikecipher" || fail "IKE proposals differ from defaults:"
for n in 1 2; do status_of gw --tunnel tun$n >/dev/null && ok "gw status --tunnel tun$n exit 0" || fail "gw status --tunnel tun$n exit $?"; done
grep -q "initiating IKE_SA tun1\[[0-9]*\] to 192.0.2.11" /tmp/gw.log && grep -q "initiating IKE_SA tun2\[[0-9]*\] to 192.0.2.12" /tmp/gw.log \
    && ok "gw initiated both (charon's log names tun1 and tun2)" || fail "charon's log: gw did not initiate tun1 and tun2"
for s in cloud1 cloud2; do grep -q "initiating IKE_SA" /tmp/$s.log && fail "responder $s initiated"; done

vti_tx() { ip -n gw -j -s link show "$1" | grep -o '"tx":{[^}]*' | grep -o '"packets":[0-9]*' | cut -d: -f2; }
ping_across hostA 10.1.0.10
ping_across hostA 10.2.0.10
ping_across hostC1 198.51.100.10
ping_across hostC2 198.51.100.10
# Each remote subnet leaves through its own tunnel only.
for n in 1 2; do
    other=$((3 - n))
    mine0=$(vti_tx vti5$n); other0=$(vti_tx vti5$other)
    t1=$(date +%s.%N)
    ip netns exec hostA ping -c10 -i0.1 -W1 10.$n.0.10 > /tmp/ping.txt 2>&1 || fail "10 pings to 10.$n.0.10: $(tail -2 /tmp/ping.txt)"
    echo "ten-pings-tun$n-seconds: $(echo "$(date +%s.%N) - $t1" | bc)"
    mine=$(( $(vti_tx vti5$n) - mine0 )); others=$(( $(vti_tx vti5$other) - other0 ))
    [ "$mine" -ge 10 ] && [ "$others" = 0 ] && ok "10.$n.0.0/24 only through vti5$n (+$mine packets, vti5$other +$others)" \
        || fail "10.$n.0.0/24: vti5$n +$mine, vti5$other +$others packets"
done
for n in 1 2; do
    ip -n gw xfrm state | grep -q "mark 0x$(printf %x 5$n)/0xffffffff" && ok "gw SAs with mark 5$n" || fail "no gw SA with mark 5$n"
done
for s in cloud1 cloud2; do
    n=$(esp_packets $s)
    [ "${n:-0}" -gt 0 ] && ok "$s XFRM states counted $n packets" || fail "$s XFRM states counted no packets"
done
finish_sites gw cloud1 cloud2
