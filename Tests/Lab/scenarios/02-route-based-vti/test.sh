. "$(dirname "$0")/../../lib/lab.sh"
topology
init_site siteA && init_site siteB || fail "init"
init_site siteA || fail "init is not idempotent"
# What NetlinkKit made, read back by iproute2; the second init found it all through NetlinkKit's own reads.
ip -n siteA -d link show vti42 | grep -q "vti remote 192.0.2.2 local 192.0.2.1 ikey 0.0.0.42 okey 0.0.0.42" && ok "vti42: key 42, endpoints" || fail "vti42: $(ip -n siteA -d link show vti42 2>&1)"
ip -n siteA addr show dev vti42 | grep -q "inet 169.254.42.1 peer 169.254.42.2/30" && ok "vti42: p2p address" || fail "vti42 address: $(ip -n siteA addr show dev vti42)"
ip -n siteA route show 203.0.113.0/24 | grep -q "dev vti42" && ok "route through vti42" || fail "route: $(ip -n siteA route show 203.0.113.0/24)"
[ "$(grep -c -e "vti42: already present" -e "address .*: already present" -e "route .*: already present" /tmp/siteA.log)" = 3 ] && ok "second init found link, address and route" || fail "second init: $(grep present /tmp/siteA.log)"
t0=$(date +%s.%N)
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
t1=$(date +%s.%N)
echo "tunnel-up-seconds: $(echo "$t1 - $t0" | bc)"
ping_across hostB 198.51.100.10
ping_across siteA 169.254.42.2
esp_counted
if status_of siteA > /tmp/status.txt; then ok "status exit 0"; else fail "status exit $?"; fi
cat /tmp/status.txt
ip -n siteA xfrm state | grep -q "mark 0x2a/0xffffffff" && ok "SAs carry mark 42" || fail "SAs do not carry mark 42"
[ "$(ip netns exec siteA cat /proc/sys/net/ipv4/conf/vti42/disable_policy)" = 1 ] && ok "disable_policy=1" || fail "disable_policy"
# Route-based means the LAN's packets leave through the VTI (not around it on a marked policy path).
tx=$(ip -n siteA -j -s link show vti42 | grep -o '"tx":{[^}]*' | grep -o '"packets":[0-9]*' | cut -d: -f2)
[ "${tx:-0}" -gt 0 ] && ok "vti42 sent $tx packets" || fail "vti42 sent no packets: traffic bypassed the VTI"
marks=$(ip netns exec siteA iptables-legacy-save -t mangle 2>/dev/null | grep -c MARK)
[ "$marks" = 0 ] && ok "no MARK rules in mangle" || fail "$marks MARK rules in mangle (forecast plugin loaded?)"
# IPSEC_VTI_MTU: init sets it on the existing VTI (and again is a no-op); a DF packet that fits crosses,
# one byte more is refused at siteA with "fragmentation needed" carrying the new MTU.
EXTRA_ENV="IPSEC_VTI_MTU=1400" init_site siteA || fail "init with IPSEC_VTI_MTU"
EXTRA_ENV="IPSEC_VTI_MTU=1400" init_site siteA || fail "init with IPSEC_VTI_MTU again"
grep -q "mtu 1400: set (was 1480)" /tmp/siteA.log && grep -q "mtu 1400: already set" /tmp/siteA.log && ok "init sets the VTI MTU once" || fail "init MTU report: $(grep mtu /tmp/siteA.log)"
ip -n siteA link show vti42 | grep -q "mtu 1400 " && ok "vti42 mtu 1400" || fail "vti42: $(ip -n siteA link show vti42 | head -1)"
ip netns exec hostA ping -c1 -W2 -M do -s 1372 203.0.113.10 >/dev/null && ok "1400-byte DF packet crosses" || fail "1400-byte DF packet did not cross"
ip netns exec hostA ping -c1 -W2 -M do -s 1373 203.0.113.10 2>&1 | grep -q "mtu = 1400" && ok "1401-byte DF packet refused with mtu 1400" || fail "1401-byte DF packet: no frag-needed with mtu 1400"
# A changed p2p address replaces the old one; it does not join it (the old would keep answering).
EXTRA_ENV="IPSEC_VTI_IPADDR_LOCAL=169.254.43.1/30 IPSEC_VTI_IPADDR_PEER=169.254.43.2/30" init_site siteA || fail "init with new p2p addresses"
addrs=$(ip -n siteA -4 addr show dev vti42 | grep -c inet)
ip -n siteA addr show dev vti42 | grep -q "inet 169.254.43.1 peer 169.254.43.2/30" && [ "$addrs" = 1 ] \
    && ok "init replaced the p2p address" || fail "vti42 addresses after a change: $(ip -n siteA -4 addr show dev vti42 | grep inet)"
[ "${LAB_DEMO:-0}" = 1 ] && { echo "DEMO-BEGIN"; status_of siteA; ip netns exec hostA ping -c3 203.0.113.10; echo "DEMO-END"; }
finish
