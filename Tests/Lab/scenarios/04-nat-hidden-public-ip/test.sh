. "$(dirname "$0")/../../lib/lab.sh"
# Part 1: the NAT topology.
for n in siteA siteB hostA hostB natA; do ns $n; done
ip link add wanA netns siteA type veth peer name inA netns natA
ip link add outA netns natA type veth peer name wanB netns siteB
ip link add lanA netns siteA type veth peer name eth0 netns hostA
ip link add lanB netns siteB type veth peer name eth0 netns hostB
ip -n siteA addr add 192.0.2.129/25 dev wanA
ip -n natA addr add 192.0.2.130/25 dev inA
ip -n natA addr add 192.0.2.1/25 dev outA
ip -n siteB addr add 192.0.2.2/25 dev wanB
ip -n siteA addr add 198.51.100.1/24 dev lanA
ip -n siteB addr add 203.0.113.1/24 dev lanB
ip -n hostA addr add 198.51.100.10/24 dev eth0
ip -n hostB addr add 203.0.113.10/24 dev eth0
links_up siteA siteB hostA hostB natA
ip -n siteA route add default via 192.0.2.130
ip -n hostA route add default via 198.51.100.1
ip -n hostB route add default via 203.0.113.1
for n in siteA siteB natA; do ip netns exec $n sysctl -qw net.ipv4.ip_forward=1; done
ip netns exec natA iptables-legacy -t nat -A PREROUTING -d 192.0.2.1 -j DNAT --to-destination 192.0.2.129 || fail "iptables DNAT"
ip netns exec natA iptables-legacy -t nat -A POSTROUTING -s 192.0.2.129 -j SNAT --to-source 192.0.2.1 || fail "iptables SNAT"
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
ping_across hostB 198.51.100.10
esp_counted
status_of siteA > /tmp/status.txt && ok "status exit 0 behind NAT" || fail "status exit $?"
grep -q "NAT detected" /tmp/status.txt && ok "charon detected the NAT" || fail "no NAT detected: $(cat /tmp/status.txt)"
ip -n siteA xfrm state | grep -q "encap type espinudp sport 4500 dport 4500" && ok "ESP in UDP 4500 through the NAT (NAT-T)" || fail "no UDP encapsulation behind NAT"
grep -q "192.0.2.1\[192.0.2.1\]\|local-id.*192.0.2.1" /tmp/status.txt && ok "site A authenticated as its public address" || true
stop_site siteA; stop_site siteB
for n in siteA siteB hostA hostB natA; do ip netns del $n; done
rm -f /tmp/siteA.pid /tmp/siteB.pid
# Part 2: no NAT; FORCEUDP decides.
topology
for mode in yes no; do
    : > /tmp/siteA.log; : > /tmp/siteB.log
    for s in siteA siteB; do
        sed "s/IPSEC_FORCEUDP=.*/IPSEC_FORCEUDP=$mode/" "$SCENARIO_DIR/../01-policy-ikev2-defaults/$s.env" > /tmp/$s-$mode.env
        echo "IPSEC_FORCEUDP=$mode" >> /tmp/$s-$mode.env
        cp /tmp/$s-$mode.env /tmp/$s.env
    done
    # Started from this shell (not a subshell), so stop_site waits for each run to end: the next mode's
    # gateways must not start beside this mode's, still shutting down.
    SCENARIO_DIR=/tmp start_site siteB; SCENARIO_DIR=/tmp start_site siteA
    ping_across hostA 203.0.113.10
    # Read from the SA that carried the ping: no SA at all must not pass as "not encapsulated".
    if ! ip -n siteA xfrm state | grep -q "^src"; then encap=none
    elif ip -n siteA xfrm state | grep -q "encap type espinudp"; then encap=yes; else encap=no; fi
    [ "$encap" = "$mode" ] && ok "IPSEC_FORCEUDP=$mode: UDP encapsulation $encap" || fail "IPSEC_FORCEUDP=$mode but encapsulation $encap"
    for s in siteA siteB; do
        stop_site $s
        [ "$STOP_STATUS" = 0 ] && ok "IPSEC_FORCEUDP=$mode: $s stopped, exit 0" || fail "IPSEC_FORCEUDP=$mode: $s exit $STOP_STATUS"
    done
done
finish
