. "$(dirname "$0")/../../lib/lab.sh"
topology
init_site siteA && init_site siteB || fail "init"
init_site siteA || fail "init is not idempotent"
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
[ "${LAB_DEMO:-0}" = 1 ] && { echo "DEMO-BEGIN"; status_of siteA; ip netns exec hostA ping -c3 203.0.113.10; echo "DEMO-END"; }
finish
