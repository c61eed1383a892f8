. "$(dirname "$0")/../../lib/lab.sh"
topology
init_site siteA; init_site siteB
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
spis() { ip -n siteA xfrm state | awk '/proto esp spi/{print $4}' | sort -u; }
spis > /tmp/spis.before
ip netns exec hostA ping -q -i 0.02 -w 65 -W 1 203.0.113.10 > /tmp/ping.txt 2>&1
cat /tmp/ping.txt | tail -2
spis > /tmp/spis.after
rekeys=$(grep -c "CHILD_SA .* established\|rekeyed\|CHILD_SA rekeying\|rekeying CHILD_SA" /tmp/siteA.log /tmp/siteB.log | awk -F: '{s+=$2} END{print s}')
seen=$(grep -h "establishing CHILD_SA\|CHILD_SA vnf-ipsec{[0-9]*} established" /tmp/siteA.log /tmp/siteB.log | grep -o "vnf-ipsec{[0-9]*}" | sort -u | wc -l)
[ "$seen" -ge 3 ] && ok "$seen CHILD_SAs over the run (two or more rekeyings)" || fail "only $seen CHILD_SAs: not rekeyed twice"
if grep -q " 0% packet loss" /tmp/ping.txt; then ok "no packet lost: $(grep packets /tmp/ping.txt)"; else fail "packets lost: $(grep packets /tmp/ping.txt)"; fi
finish
