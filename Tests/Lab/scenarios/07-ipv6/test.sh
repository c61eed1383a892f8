WAN6=1 LAN6=1
. "$(dirname "$0")/../../lib/lab.sh"
topology
start_site siteB
start_site siteA
ping_across hostA 2001:db8:b::10
esp_counted
status_of siteA >/dev/null && ok "status exit 0 (IPv6 in IPv4)" || fail "status exit $?"
stop_site siteA; stop_site siteB
# Part 2: IPv6 outer, route-based over vti6.
cp "$SCENARIO_DIR/siteA-vti6.env" /tmp/siteA-vti6.env; cp "$SCENARIO_DIR/siteB-vti6.env" /tmp/siteB-vti6.env
for s in siteA siteB; do ip netns exec $s sh -c "set -a; . /tmp/$s-vti6.env; set +a; exec '$VNF' init" >> /tmp/$s.log 2>&1 || fail "$s init (vti6)"; done
ip -n siteA -d link show vti66 | grep -q "vti6 remote 2001:db8::2 local 2001:db8::1 .*ikey 0.0.0.66" && ok "vti6 with key 66 created by init" || fail "no vti6: $(ip -n siteA -d link show vti66 2>&1)"
SCENARIO_DIR=/tmp
ln -sf /tmp/siteA-vti6.env /tmp/siteA.env; ln -sf /tmp/siteB-vti6.env /tmp/siteB.env
start_site siteB
start_site siteA
ping_across hostA 2001:db8:b::10
ip -n siteA -s link show vti66 | awk '/TX:/{getline; exit ($2 > 0) ? 0 : 1}' && ok "traffic went through vti66" || fail "vti66 counted no traffic"
status_of siteA > /tmp/status.txt && ok "status exit 0 (vti6)" || fail "status exit $? (vti6)"
grep -q "2001:db8::1" /tmp/status.txt && ok "IKE over IPv6" || fail "IKE not over IPv6: $(head -3 /tmp/status.txt)"
finish
