#!/usr/bin/env bash
# The metrics endpoint's cost (docs/benchmarks.md, section 8), each against a baseline in the same run. Root.
#   bash Benchmarks/metrics.sh STATIC_BINARY [BASELINE_BINARY ...]
#        ROUNDS (3), SECONDS_TO_WATCH (60), TUNNELS (100), PEERS (100), REQUESTS (1000), LATENCY_ROUNDS (1)
# With BASELINE_BINARY (an earlier build; several may be given), both parts run it beside STATIC_BINARY in the
# same run: in 1 its gateways at the same time as the binary's, in 2 one binary after the other,
# LATENCY_ROUNDS times. ROUNDS=0 skips part 1, LATENCY_ROUNDS=0 part 2. Each round prints the load average:
# this machine is shared, and latency tails follow its load.
# 1. Peak RSS of `run` (one tunnel from the environment, an IKE_SA up with a peer gateway as in memory.sh)
#    with IPSEC_METRICS_LISTEN and a scrape of /metrics every second, against the same without metrics,
#    both at once, SECONDS_TO_WATCH seconds; ROUNDS rounds, starting order alternating.
# 2. Scrape latency with TUNNELS tunnels configured (PEERS of them with an IKE_SA from a peer gateway in a
#    second namespace; no CHILD_SAs: this kernel has no ESP): /metrics against /healthz (same server, one
#    VICI request) and the same bytes as /metrics served as a static file by python3 -m http.server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1")
binaries=("$bin"); for other in "${@:2}"; do binaries+=("$(realpath "$other")"); done
rounds=${ROUNDS:-3} seconds=${SECONDS_TO_WATCH:-60} count=${TUNNELS:-100} peers=${PEERS:-100}
work=$(mktemp -d /tmp/vnf-metrics-XXXXXX)
spaces=()
stop_ns() {
    ip netns pids "$1" 2>/dev/null | xargs -r kill 2>/dev/null || true
    for _ in $(seq 100); do [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break; sleep 0.1; done
    ip netns pids "$1" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
}
cleanup() { for n in "${spaces[@]}"; do stop_ns "$n"; ip netns del "$n" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
pair() {  # namespace A and B joined by a veth; A holds 192.0.2.1, B holds PEER_ADDRESSES
    local a=$1 b=$2; shift 2
    ip netns add $a; ip netns add $b; spaces+=($a $b)
    ip link add wanA netns $a type veth peer name wanB netns $b
    ip -n $a addr add 192.0.2.1/24 dev wanA
    for address in "$@"; do ip -n $b addr add $address/24 dev wanB; done
    for n in $a $b; do ip -n $n link set lo up; done
    ip -n $a link set wanA up; ip -n $b link set wanB up
    ip -n $a route add 198.51.100.0/24 dev wanA 2>/dev/null || true; ip -n $b route add 192.0.2.0/24 dev wanB 2>/dev/null || true
}
start() {  # namespace, name, environment, arguments of run, binary (the first)
    ip netns exec $1 unshare -m --propagation private sh -c \
        "mount -t tmpfs tmpfs /run; echo \$\$ > $work/$2.pid; exec env $3 ${5:-$bin} run ${4:-}" > "$work/$2.log" 2>&1 &
}
ike_up() { nsenter -t "$(cat "$work/$1.pid")" -m -n swanctl --list-sas --raw 2>/dev/null | grep -c 'state=ESTABLISHED' || true; }
status() { awk -v k="$1:" '$1 == k {print $2}' /proc/$2/status; }

# 1. Memory, metrics on and off.
site() { echo "IPSEC_LOCALIP=$1 IPSEC_REMOTEIP=$2 IPSEC_LOCALID=$1 IPSEC_REMOTEID=$2 IPSEC_LOCALNET=$3 IPSEC_REMOTENET=$4 IPSEC_PSK=benchmark-psk-0123456789abcdef IPSEC_INTERFACES=$5"; }
# Each round starts with the binaries' pages out of the page cache (written back, then dropped), so that
# every binary is read back the same way: how the pages got there (a fresh write, read-ahead) changes how
# many the kernel maps around each fault (docs/benchmarks.md, 8.3).
evict() { sync "$@"; python3 -c 'import os, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' "$@"; }
for r in $(seq "$rounds"); do
    variants=(on off); [ $((r % 2)) = 0 ] && variants=(off on)
    evict "${binaries[@]}"
    for i in "${!binaries[@]}"; do
        for v in "${variants[@]}"; do
            pair vnf-met-$v$i-a-$$ vnf-met-$v$i-b-$$ 198.51.100.2
            listen=""; [ $v = on ] && listen="IPSEC_METRICS_LISTEN=127.0.0.1:9109"
            start vnf-met-$v$i-b-$$ peer-$v$i "$(site 198.51.100.2 192.0.2.1 203.0.113.0/24 10.0.2.0/24 wanB)" "" "${binaries[i]}"
            start vnf-met-$v$i-a-$$ run-$v$i "$(site 192.0.2.1 198.51.100.2 10.0.2.0/24 203.0.113.0/24 wanA) $listen" "" "${binaries[i]}"
        done
    done
    sleep 3
    end=$((SECONDS + seconds)) scrapes=0 failed=0
    while [ $SECONDS -lt $end ]; do
        for i in "${!binaries[@]}"; do
            if ip netns exec vnf-met-on$i-a-$$ curl -sf -o /dev/null http://127.0.0.1:9109/metrics; then scrapes=$((scrapes + 1)); else failed=$((failed + 1)); fi
        done
        sleep 1
    done
    for i in "${!binaries[@]}"; do
        line="metrics: round $r, ${binaries[i]} (${variants[*]} started in this order), ${seconds}s, $scrapes scrapes of all ($failed failed), load average $(cut -d' ' -f1-3 /proc/loadavg):"
        for v in on off; do
            pid=$(cat "$work/run-$v$i.pid"); charon=$(pgrep -P "$pid" charon)
            line+=" metrics $v: run peak RSS $(status VmHWM $pid) kB (now $(status VmRSS $pid)), charon $(status VmHWM $charon) kB, IKE_SAs $(ike_up run-$v$i);"
        done
        echo "$line"
    done
    for n in "${spaces[@]}"; do stop_ns "$n"; ip netns del "$n"; done; spaces=()
done

# 2. Scrape latency with many tunnels.
a=vnf-met-lat-a-$$ b=vnf-met-lat-b-$$
addresses=(); for n in $(seq "$peers"); do addresses+=(198.51.$((100 + n / 250)).$((n % 250 + 1))); done
pair $a $b "${addresses[@]}"
for n in $(seq 0 $(( peers / 250 ))); do ip -n $a route replace 198.51.$((100 + n)).0/24 dev wanA; done
{ echo "metrics_listen: 127.0.0.1:9109"; python3 "$here/many-tunnels.py" "$count"; } > "$work/gateway.yaml"
{   printf 'defaults:\n  remoteip: 192.0.2.1\n  remotenet: 0.0.0.0/0\n  role: initiator\ntunnels:\n'
    for n in $(seq "$peers"); do
        printf '  - name: hub-%d\n    localip: %s\n    localnet: 10.%d.%d.0/24\n    psk: branch-%d-key-0123456789abcdef\n' \
            "$n" "${addresses[n - 1]}" $((n / 250)) $((n % 250 + 1)) "$n"
    done
} > "$work/peer.yaml"
for round in $(seq "${LATENCY_ROUNDS:-1}"); do
for binary in "${binaries[@]}"; do
start $a gateway "" "--config $work/gateway.yaml" "$binary"
for _ in $(seq 300); do grep -q "serving /metrics" "$work/gateway.log" && grep -q "$count connections loaded" "$work/gateway.log" && break; sleep 0.1; done
grep -q "$count connections loaded" "$work/gateway.log" || { echo "run did not load:"; tail -5 "$work/gateway.log"; exit 1; }
if [ "$peers" -gt 0 ]; then
    start $b peer "" "--config $work/peer.yaml"
    for _ in $(seq 300); do [ "$(ike_up gateway)" -ge "$peers" ] && break; sleep 0.2; done
fi
sleep 2
ip netns exec $a curl -sf http://127.0.0.1:9109/metrics > "$work/metrics.txt"
echo "metrics: $binary, round $round: $count tunnels, IKE_SAs established $(ike_up gateway), CHILD_SAs installed 0 (no ESP); /metrics has $(grep -vc '^#' "$work/metrics.txt") samples, $(grep -c '^strongswan_ike' "$work/metrics.txt" || true) of them strongswan_ike*, $(wc -c < "$work/metrics.txt") bytes"
rm -rf "$work/static"; mkdir "$work/static"; cp "$work/metrics.txt" "$work/static/metrics"
ip netns exec $a sh -c "cd $work/static && exec python3 -m http.server --bind 127.0.0.1 9110" > "$work/http.log" 2>&1 &
for _ in $(seq 50); do ip netns exec $a curl -sf -o /dev/null http://127.0.0.1:9110/metrics && break; sleep 0.1; done
echo "metrics: load average before the scrapes $(cut -d' ' -f1-3 /proc/loadavg)"
ip netns exec $a python3 "$here/metrics-scrape.py" "${REQUESTS:-1000}" \
    http://127.0.0.1:9109/metrics http://127.0.0.1:9109/healthz http://127.0.0.1:9109/readyz http://127.0.0.1:9110/metrics
echo "metrics: load average after the scrapes $(cut -d' ' -f1-3 /proc/loadavg); IKE_SAs still established: $(ike_up gateway); run's RSS now $(status VmRSS "$(cat "$work/gateway.pid")") kB"
for n in $b $a; do stop_ns $n; done
done
done
echo "metrics: left behind: processes $(ip netns pids $a | wc -l)+$(ip netns pids $b | wc -l), xfrm states $(ip -n $a xfrm state | grep -c '^src' || true)+$(ip -n $b xfrm state | grep -c '^src' || true), policies $(ip -n $a xfrm policy | grep -c '^src' || true)+$(ip -n $b xfrm policy | grep -c '^src' || true)"
