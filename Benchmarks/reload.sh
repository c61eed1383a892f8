#!/usr/bin/env bash
# Reload with many tunnels (docs/benchmarks.md, section 7): `run --config` with TUNNELS (1000) route-based
# responder tunnels in a throwaway network namespace with its own /run, and a peer gateway in a second
# namespace that brings up the IKE_SAs of the first PEERS (5) tunnels (this host's kernel has no ESP, so their
# CHILD_SAs are not installed). Then reload-time.py: one tunnel's dpd_delay changed, SIGHUP, until `run` logs
# "reloaded (SIGHUP)", against `swanctl --load-all --file` of the same rendered file into the same charon. Root.
#   bash Benchmarks/reload.sh STATIC_BINARY        TUNNELS, PEERS, ROUNDS (10)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1")
count=${TUNNELS:-1000} peers=${PEERS:-5} rounds=${ROUNDS:-10}
work=$(mktemp -d /tmp/vnf-reload-XXXXXX)
a=vnf-reload-a-$$ b=vnf-reload-b-$$
stop_ns() {  # SIGTERM to what runs in the namespace (run stops its charon), then what is left
    ip netns pids "$1" 2>/dev/null | xargs -r kill 2>/dev/null || true
    for _ in $(seq 100); do [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break; sleep 0.1; done
    ip netns pids "$1" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
}
cleanup() {
    for n in $a $b; do stop_ns $n; ip netns del $n 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/config" "$work/data"
# reload_on_change off: only the SIGHUP each round reloads, never the watcher as well.
{ echo "reload_on_change: no"; python3 "$here/many-tunnels.py" "$count"; } > "$work/data/gateway.yaml"
ln -s "$work/data/gateway.yaml" "$work/config/gateway.yaml"
{   # The peer: the first PEERS tunnels seen from the other side, policy-based (no VTI on this host).
    printf 'defaults:\n  remoteip: 192.0.2.1\n  remotenet: 0.0.0.0/0\n  role: initiator\ntunnels:\n'
    for n in $(seq "$peers"); do
        printf '  - name: hub-%d\n    localip: 198.51.100.%d\n    localnet: 10.0.%d.0/24\n    psk: branch-%d-key-0123456789abcdef\n' \
            "$n" $((n + 1)) $((n + 1)) "$n"
    done
} > "$work/peer.yaml"
ip netns add $a; ip netns add $b
ip link add wanA netns $a type veth peer name wanB netns $b
ip -n $a addr add 192.0.2.1/24 dev wanA
for n in $(seq "$peers"); do ip -n $b addr add 198.51.100.$((n + 1))/24 dev wanB; done
for n in $a $b; do ip -n $n link set lo up; done
ip -n $a link set wanA up; ip -n $b link set wanB up
ip -n $a route add 198.51.100.0/24 dev wanA; ip -n $b route add 192.0.2.0/24 dev wanB
start() {  # namespace, name, config
    ip netns exec "$1" unshare -m --propagation private sh -c \
        "mount -t tmpfs tmpfs /run; echo \$\$ > $work/$2.pid; exec $bin run --config $3" > "$work/$2.log" 2>&1 &
}
start $a gateway "$work/config/gateway.yaml"
for _ in $(seq 600); do grep -q "$count connections loaded" "$work/gateway.log" && break; sleep 0.1; done
grep -q "$count connections loaded" "$work/gateway.log" || { echo "run did not load:"; tail -5 "$work/gateway.log"; exit 1; }
pid=$(cat "$work/gateway.pid")
start $b peer "$work/peer.yaml"
for _ in $(seq 300); do
    up=$(nsenter -t "$pid" -m -n swanctl --list-sas --raw | grep -c 'state=ESTABLISHED' || true)
    [ "$up" -ge "$peers" ] && break; sleep 0.1
done
echo "reload: $up IKE_SAs established with the peer (CHILD_SAs: none, no ESP in this kernel)"
sleep 2
python3 "$here/reload-time.py" "$bin" "$pid" "$work/gateway.log" "$work/data/gateway.yaml" "$work" branch-1 "$rounds"
echo "reload: status after the rounds: $(nsenter -t "$pid" -m -n "$bin" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); c=d.get("configuration",d); print(json.dumps({k: c.get(k) for k in ("reloads","failedReloads","lastReload")}))' 2>&1 | head -c 400)"
for n in $b $a; do stop_ns $n; done
echo "reload: left behind: processes $(ip netns pids $a | wc -l)+$(ip netns pids $b | wc -l), xfrm states $(ip -n $a xfrm state | grep -c '^src' || true)+$(ip -n $b xfrm state | grep -c '^src' || true), policies $(ip -n $a xfrm policy | grep -c '^src' || true)+$(ip -n $b xfrm policy | grep -c '^src' || true)"
grep -q "stopped" "$work/gateway.log" || echo "reload: run did not log its stop"
