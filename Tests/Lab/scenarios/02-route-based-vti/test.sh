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
# From here /tmp/siteA.log holds only what siteA's `run` prints (LOG_FORMAT=json): init's lines go aside.
mv /tmp/siteA.log /tmp/siteA-init.log; INIT_LOG=/tmp/siteA-init.log
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
# Observability (siteA.env: IPSEC_METRICS_LISTEN=127.0.0.1:9500 in siteA's network namespace, LOG_FORMAT=json).
# http PATH FILE: the status code of GET PATH, the body in FILE.
http() { ip netns exec siteA curl -s -m 5 -o "$2" -w '%{http_code}' "http://127.0.0.1:9500$1"; }
# kernel_counters: one line per keyed ESP SA of siteA between the WAN addresses, "in BYTES PACKETS" for an
# inbound SA (destination siteA's 192.0.2.1) and "out BYTES PACKETS" for an outbound one, sorted. charon puts
# mark 42 on the outbound SAs and the inbound policy; the inbound SA has none (mark_in_sa=no), so it is
# found by its destination. A simultaneous start can leave two CHILD_SAs (one per IKE_SA): all are listed.
kernel_counters() {
    ip -n siteA -s xfrm state | awk '
        function flush() {
            if (!keyed) return
            if (src == "192.0.2.2" && dst == "192.0.2.1") print "in", b, p
            else if (src == "192.0.2.1" && dst == "192.0.2.2") print (marked ? "out" : "out-unmarked"), b, p
        }
        /^src / { flush(); src = $2; dst = $4; marked = 0; keyed = 0; next }
        /^\tmark 0x2a\/0xffffffff/ { marked = 1 }
        /^\t(aead|enc|auth|auth-trunc) / { keyed = 1 }
        /lifetime current:/ { getline; b = $1; p = $2; sub(/\(bytes\),?/, "", b); sub(/\(packets\)/, "", p) }
        END { flush() }' | sort
}
# metric_counters [FILE]: the same lines from /tmp/metrics.txt (or FILE), one per CHILD_SA series (bytes and packets joined
# by their labels).
metric_counters() {
    awk '/^strongswan_sa_(in|out)bound_(bytes|packets)\{/ {
            name = substr($0, 1, index($0, "{") - 1); labels = substr($0, index($0, "{"), index($0, "}") - index($0, "{") + 1)
            dir = (name ~ /inbound/) ? "in" : "out"; kind = (name ~ /bytes$/) ? "b" : "p"
            v[dir SUBSEP labels SUBSEP kind] = sprintf("%d", $NF); seen[dir SUBSEP labels] = 1 }
         END { for (k in seen) { split(k, part, SUBSEP); print part[1], v[k SUBSEP "b"], v[k SUBSEP "p"] } }' "${1:-/tmp/metrics.txt}" | sort
}
# by_direction: "in BYTES PACKETS" and "out BYTES PACKETS", summed over the SAs of each direction.
by_direction() { awk '$1 == "in" || $1 == "out" { b[$1] += $2; p[$1] += $3 } END { for (d in b) print d, b[d], p[d] }' | sort; }
# The traffic above has ended: the kernel's counters must be still before they are compared.
k1=$(kernel_counters); sleep 1; k2=$(kernel_counters)
[ -n "$k2" ] && [ "$k1" = "$k2" ] && ok "kernel SA counters stable" || fail "kernel SA counters not stable: '$k1' then '$k2'"
code=$(http /metrics /tmp/metrics.txt)
k3=$(kernel_counters)
ip -n siteA -s xfrm state > "$OUT/xfrm-siteA.txt"
[ "$code" = 200 ] && ok "/metrics 200" || fail "/metrics $code"
cp /tmp/metrics.txt "$OUT/metrics.txt"
grep '^strongswan_sa_\(in\|out\)bound_\(bytes\|packets\){' /tmp/metrics.txt | sort
m=$(metric_counters)
echo "kernel (direction bytes packets, one line per SA):"; echo "$k3"
echo "metrics (direction bytes packets, one line per CHILD_SA and direction):"; echo "$m"
[ "$k2" = "$k3" ] || fail "kernel counters moved during the scrape: '$k2' then '$k3'"
printf '%s\n' "$k3" | grep -q '^in [1-9]' && printf '%s\n' "$k3" | grep -q '^out [1-9]' \
    || fail "kernel: no inbound SA and outbound SA with mark 42 that carried traffic: $k3"
[ -n "$k3" ] && [ "$m" = "$k3" ] && ok "CHILD_SA bytes and packets in /metrics equal the kernel's, both directions" || fail "metrics '$m' != kernel '$k3'"
# The labels of the exporter; the traffic selectors are the LANs' plus the VTI's p2p addresses.
for label in 'ike_name="vnf-ipsec"' 'ike_id="[0-9]' 'child_name="vnf-ipsec"' 'child_id="[0-9]' 'local_ts="[^"]*198\.51\.100\.0/24' 'remote_ts="[^"]*203\.0\.113\.0/24'; do
    grep '^strongswan_sa_inbound_bytes{' /tmp/metrics.txt | grep -q "[{,]$label" || fail "strongswan_sa_inbound_bytes lacks $label"
done
grep -q '^vnf_ipsec_tunnel_up{tunnel="vnf-ipsec"} 1' /tmp/metrics.txt && grep -q '^vnf_ipsec_ready 1' /tmp/metrics.txt \
    && grep -q '^vnf_ipsec_charon_up 1' /tmp/metrics.txt && ok "vnf_ipsec_tunnel_up, _ready, _charon_up 1" \
    || fail "vnf_ipsec_* series: $(grep '^vnf_ipsec_' /tmp/metrics.txt)"
# The kernel's side, read at the scrape: the guard route is in place and the VTI is up with the CHILD_SA.
grep -q '^vnf_ipsec_tunnel_guarded{tunnel="vnf-ipsec"} 1' /tmp/metrics.txt && grep -q '^vnf_ipsec_tunnel_vti_up{tunnel="vnf-ipsec"} 1' /tmp/metrics.txt \
    && ip -n siteA route show type unreachable | grep -q "203.0.113.0/24 metric 4000000000" \
    && ok "vnf_ipsec_tunnel_guarded and _vti_up 1; the guard route is in the kernel" \
    || fail "guard/VTI series: $(grep '^vnf_ipsec_tunnel_\(guarded\|vti\)' /tmp/metrics.txt); $(ip -n siteA route show type unreachable)"
# While traffic flows, each scrape's counters lie between the kernel's read just before and just after it:
# they are read from the kernel at the scrape, not from charon's list (refreshed every 2 s, ~40 packets
# behind at 20 packets a second — the counts of the list, not the kernel's, fell behind "before").
ip netns exec hostA ping -q -i 0.05 -c 200 203.0.113.10 >/dev/null 2>&1 & flow=$!
sleep 1
bracketed=0
for round in 1 2 3; do
    before=$(kernel_counters | by_direction); http /metrics /tmp/metrics-flow.txt >/dev/null; after=$(kernel_counters | by_direction)
    scraped=$(metric_counters /tmp/metrics-flow.txt | by_direction)
    # Per direction: before <= scraped <= after, bytes and packets.
    if { echo "$before" | sed 's/^/before /'; echo "$scraped" | sed 's/^/scraped /'; echo "$after" | sed 's/^/after /'; } | awk '
        { b[$1, $2] = $3; p[$1, $2] = $4; seen[$2] = 1 }
        END {
            for (d in seen) { n++; if (!(b["before", d] <= b["scraped", d] && b["scraped", d] <= b["after", d] \
                                        && p["before", d] <= p["scraped", d] && p["scraped", d] <= p["after", d] && b["scraped", d] != "")) bad = 1 }
            exit bad || n != 2 }'; then
        bracketed=$((bracketed + 1))
    else
        echo "round $round: before '$before' scraped '$scraped' after '$after'"
    fi
    sleep 0.3
done
kill $flow 2>/dev/null; wait $flow 2>/dev/null
[ "$bracketed" = 3 ] && ok "counters at each scrape are the kernel's at that moment, with traffic flowing (3 of 3)" \
    || fail "counters during traffic: $bracketed of 3 scrapes between the kernel's before and after"
code=$(http /healthz /tmp/healthz.txt); [ "$code" = 200 ] && ok "/healthz 200: $(cat /tmp/healthz.txt)" || fail "/healthz $code: $(cat /tmp/healthz.txt)"
code=$(http /readyz /tmp/readyz.txt); [ "$code" = 200 ] && ok "/readyz 200: $(head -1 /tmp/readyz.txt)" || fail "/readyz $code: $(cat /tmp/readyz.txt)"
code=$(http /nothing-here /tmp/other.txt); [ "$code" = 404 ] && ok "/nothing-here 404" || fail "/nothing-here $code"
# IPSEC_VTI_MTU: init sets it on the existing VTI (and again is a no-op); a DF packet that fits crosses,
# one byte more is refused at siteA with "fragmentation needed" carrying the new MTU.
EXTRA_ENV="IPSEC_VTI_MTU=1400" init_site siteA || fail "init with IPSEC_VTI_MTU"
EXTRA_ENV="IPSEC_VTI_MTU=1400" init_site siteA || fail "init with IPSEC_VTI_MTU again"
grep -q "mtu 1400: set (was 1480)" /tmp/siteA-init.log && grep -q "mtu 1400: already set" /tmp/siteA-init.log && ok "init sets the VTI MTU once" || fail "init MTU report: $(grep mtu /tmp/siteA-init.log)"
ip -n siteA link show vti42 | grep -q "mtu 1400 " && ok "vti42 mtu 1400" || fail "vti42: $(ip -n siteA link show vti42 | head -1)"
ip netns exec hostA ping -c1 -W2 -M do -s 1372 203.0.113.10 >/dev/null && ok "1400-byte DF packet crosses" || fail "1400-byte DF packet did not cross"
ip netns exec hostA ping -c1 -W2 -M do -s 1373 203.0.113.10 2>&1 | grep -q "mtu = 1400" && ok "1401-byte DF packet refused with mtu 1400" || fail "1401-byte DF packet: no frag-needed with mtu 1400"
# A changed p2p address replaces the old one; it does not join it (the old would keep answering).
EXTRA_ENV="IPSEC_VTI_IPADDR_LOCAL=169.254.43.1/30 IPSEC_VTI_IPADDR_PEER=169.254.43.2/30" init_site siteA || fail "init with new p2p addresses"
addrs=$(ip -n siteA -4 addr show dev vti42 | grep -c inet)
ip -n siteA addr show dev vti42 | grep -q "inet 169.254.43.1 peer 169.254.43.2/30" && [ "$addrs" = 1 ] \
    && ok "init replaced the p2p address" || fail "vti42 addresses after a change: $(ip -n siteA -4 addr show dev vti42 | grep inet)"
[ "${LAB_DEMO:-0}" = 1 ] && { echo "DEMO-BEGIN"; status_of siteA; ip netns exec hostA ping -c3 203.0.113.10; echo "DEMO-END"; }
# Everything siteA's run printed, its shutdown included, is one JSON object a line (LOG_FORMAT=json).
stop_site siteA
[ "$STOP_STATUS" = 0 ] && ok "siteA stopped (exit 0)" || fail "siteA exit $STOP_STATUS"
cp /tmp/siteA-init.log "$OUT/"
total=$(wc -l < /tmp/siteA.log)
bad=$(jq -R -r '. as $line | (try (fromjson | type) catch "invalid") | select(. != "object") | $line' /tmp/siteA.log)
while IFS= read -r line; do [ -n "$line" ] || continue; printf '%s\n' "$line" | jq -e . >/dev/null 2>&1 || bad="$bad
$line"; done < /tmp/siteA.log
[ "$total" -gt 0 ] && [ -z "$bad" ] && ok "all $total lines of siteA's run are JSON objects" || fail "siteA lines not JSON objects: $(printf '%s' "$bad" | head -5)"
summary=$(jq -R -s -c '[split("\n")[] | select(length > 0) | try fromjson catch empty] | {
    charon: map(select(.source == "charon")) | length,
    named: map(select(.source == "charon" and .tunnel == "vnf-ipsec")) | length,
    othertunnel: map(select(.source == "charon" and .tunnel != null and .tunnel != "vnf-ipsec")) | length,
    unnamed: map(select(.source == "charon" and (.message | test("(IKE|CHILD)_SA vnf-ipsec[\\[{]")) and .tunnel != "vnf-ipsec")) | length,
    unparsed: map(select(.source == "charon" and ((.message | startswith("<")) or (.message | test("^[0-9]{4}-[0-9]{2}-[0-9]{2} "))))) | length,
    sources: map(.source) | unique,
    incomplete: map(select(.time == null or .level == null or .message == null)) | length }' /tmp/siteA.log)
echo "siteA JSON lines: $summary"
echo "$summary" | jq -e '.charon > 0 and .named > 0 and .othertunnel == 0 and .unnamed == 0 and .unparsed == 0 and .incomplete == 0 and .sources == ["charon", "vnf-ipsec"]' >/dev/null \
    && ok "charon lines carry source charon and tunnel vnf-ipsec where charon named it" || fail "JSON lines: $summary"
psk=$(sed -n 's/^IPSEC_PSK=//p' "$SCENARIO_DIR/siteA.env")
[ -n "$psk" ] && ! grep -qF "$psk" /tmp/siteA.log /tmp/metrics.txt && ok "the PSK is in neither the log nor /metrics" || fail "the PSK leaked: $(grep -lF "$psk" /tmp/siteA.log /tmp/metrics.txt)"
finish
