# Lab benchmark: throughput. iperf3 (TCP, hostA → hostB) through the route-based VTI tunnel with
#   default         vnf-ipsec's default ESP proposals (upstream's),
#   each hand-picked ESP proposal of $BENCH_PROPOSALS (IPSEC_ESPCIPHER),
#   plain           the same path routed without IPsec,
#   default-clamped the defaults with IPSEC_VTI_MTU=$BENCH_VTI_MTU and TCP MSS clamping on both sites
#                   (what a network that filters ICMP needs: no path MTU discovery at all),
# and the VTI's MTU, the ICMP "fragmentation needed" the sites sent and the IP fragments they made or
# reassembled during the runs. Rounds alternate between variants; medians are printed. Run through
# Benchmarks/lab.sh, never in CI.
. "$LAB_ROOT/Tests/Lab/lib/lab.sh"
. "$LAB_ROOT/Benchmarks/lab/lib.sh"
topology
rounds=${BENCH_ROUNDS:-3}
seconds=${BENCH_SECONDS:-5}
# Comma-separated (the guest's kernel command line carries it, and allows no spaces).
proposals=$(echo "${BENCH_PROPOSALS:-aes128gcm16,aes256gcm16,chacha20poly1305,aes128-sha256}" | tr ',' ' ')
vti_mtu=${BENCH_VTI_MTU:-1422}
for m in iptable_mangle xt_TCPMSS xt_tcpudp; do /tmp/modprobe $m; done
ip netns exec hostB iperf3 -s -D -I /tmp/iperf3.pid

# snmp SITE FIELD: a counter of the site's /proc/net/snmp (Ip: or Icmp: lines).
snmp() { ip netns exec "$1" awk -v f="$2" '$1 == "Ip:" || $1 == "Icmp:" { if (!h[$1]++) { for (i = 2; i <= NF; i++) n[$1, i] = $i } else { for (i = 2; i <= NF; i++) if ($1 substr(n[$1, i], 1) == f) print $i } }' /proc/net/snmp; }
counters() { echo "$(snmp siteA Ip:FragCreates) $(snmp siteB Ip:ReasmReqds) $(snmp siteA Icmp:OutDestUnreachs)"; }

# measure VARIANT: one iperf3 run; appends "VARIANT Mbit/s retransmits frags-made reassemblies icmp-unreach".
measure() {
    # Every run starts without a cached path MTU, as a new flow to a new destination would.
    ip netns exec hostA ip route flush cache
    before=$(counters)
    ip netns exec hostA iperf3 -c 203.0.113.10 -t "$seconds" -f m > /tmp/iperf.txt 2>&1 || { fail "$1: iperf3"; cat /tmp/iperf.txt; return; }
    after=$(counters)
    rate=$(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i-1) }' /tmp/iperf.txt)
    retr=$(awk '/sender/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i+1) }' /tmp/iperf.txt)
    set -- "$1" $before $after
    echo "$1 $rate ${retr:-0} $(($5 - $2)) $(($6 - $3)) $(($7 - $4))" >> /tmp/rounds
}

# plain: the LANs routed over the WAN directly; `init` afterwards puts the VTI routes back (it is idempotent).
plain() {
    ip -n siteA route replace 203.0.113.0/24 via 192.0.2.2
    ip -n siteB route replace 198.51.100.0/24 via 192.0.2.1
    measure plain
    init_site siteA && init_site siteB || fail "init after the plain run"
    ip -n siteA route show 203.0.113.0/24 | grep -q "dev vti42" || fail "init did not restore the VTI route"
}

# clamped: the defaults with the VTI MTU set through init and SYNs into the tunnel clamped to it.
clamped() {
    for s in siteA siteB; do
        EXTRA_ENV="IPSEC_VTI_MTU=$vti_mtu" init_site $s || fail "init with IPSEC_VTI_MTU"
        ip netns exec $s iptables-legacy -t mangle -A FORWARD -o vti42 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
    done
    tunnel default-clamped
    for s in siteA siteB; do
        ip netns exec $s iptables-legacy -t mangle -F FORWARD
        ip -n $s link set vti42 mtu "$kernel_mtu"
    done
}

# tunnel PROPOSAL: both sites run with that IPSEC_ESPCIPHER ("default": unset) over the VTI made by init.
tunnel() {
    EXTRA_ENV=true; case $1 in default*) ;; *) EXTRA_ENV="IPSEC_ESPCIPHER=$1" ;; esac
    start_site siteB; start_site siteA
    if wait_for 30 ip netns exec hostA ping -c1 -W1 203.0.113.10; then
        # The algorithms the kernel really uses, with key sizes (AES-GCM's include a 32-bit salt).
        algorithms=$(ip -s -n siteA xfrm state | awk '$1 ~ /^(aead|enc|auth|auth-trunc)$/ { bits = ""; if (match($0, /\([0-9]+ bits\)/)) bits = " " substr($0, RSTART, RLENGTH); print $2 bits }' | sort -u | tr '\n' ' ')
        [ -n "$algorithms" ] || fail "$1: no SA"
        echo "$1: $algorithms" >> /tmp/algorithms
        measure "$1"
    else
        fail "$1: tunnel did not come up"; diagnostics
    fi
    stop_site siteA; stop_site siteB
    flush_sas
}

init_site siteA && init_site siteB || fail "init"
kernel_mtu=$(ip -n siteA link show vti42 | grep -o 'mtu [0-9]*' | cut -d' ' -f2)
echo "VTI: mtu $kernel_mtu, WAN $(ip -n siteA link show wanA | grep -o 'mtu [0-9]*')"
: > /tmp/rounds; : > /tmp/algorithms
for i in $(seq "$rounds"); do
    plain
    tunnel default
    for p in $proposals; do tunnel "$p"; done
    clamped
done
echo "variant Mbit/s retransmits fragments-made reassemblies icmp-unreachable"
cat /tmp/rounds
sort -u /tmp/algorithms
echo "path MTU hostA learnt for hostB (last run): $(ip netns exec hostA ip route get 203.0.113.10 | grep -o 'mtu [0-9]*' || echo none)"
best=; best_rate=0
for p in $proposals; do
    r=$(median "$p"); echo "bench: throughput median $p ${r:-?} Mbit/s"
    [ -n "$r" ] && [ "$(echo "$r > $best_rate" | bc)" = 1 ] && { best=$p; best_rate=$r; }
done
d=$(median default); pl=$(median plain); dc=$(median default-clamped)
echo "bench: throughput median default ${d:-?} Mbit/s, default-clamped ${dc:-?} Mbit/s, plain link ${pl:-?} Mbit/s"
[ -n "$d" ] && [ -n "$best" ] && echo "bench: default / best ($best) = $(echo "scale=2; $d / $best_rate" | bc)x (target >= 0.95x)"
[ -n "$d" ] && [ -n "$pl" ] && echo "bench: default / plain = $(echo "scale=2; $d / $pl" | bc)x"
kill "$(cat /tmp/iperf3.pid)" 2>/dev/null
finish
