#!/usr/bin/env bash
# Lists the functions `vnf-ipsec run` executes into scripts/hot-functions.order, which scripts/build-static.sh
# hands to the linker (lld --symbol-ordering-file) so that they sit together at the start of .text. Why: the
# kernel maps the binary's pages around each fault (fault-around, large folios), so code spread over the
# whole 22 MB text made 14 MB of it resident for 1.7 MB of functions run; packed, far fewer pages are
# touched (docs/benchmarks.md, 8.4). Run on demand after larger changes (root, scripts/setup.sh's tools):
#   bash scripts/hot-functions.sh
# A stale list is still correct, only less compact: functions it does not name keep the default layout.
#
# How: the static build (as shipped) runs under valgrind's callgrind, which sees every function executed,
# while it does what a gateway does: a peer gateway in a second network namespace, the IKE_SA up, /metrics,
# /readyz and /healthz scraped, a reload (SIGHUP), a graceful stop (SIGTERM); once configured from the
# environment (upstream's variables) and once from a file; the host kernel needs no ESP for that (the
# CHILD_SA fails to install, the rest of the work is the same). Then a route-based gateway (VTI, kernel ESP,
# traffic, JSON logs), which only the user-mode-Linux lab can run: scripts/hot-functions-lab, traced in a
# guest. charon runs natively (a child, not traced).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${HOT_FUNCTIONS_OUT:-$here/scripts/hot-functions.order}
command -v valgrind >/dev/null || { echo "hot-functions: valgrind missing (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/vnf-hot-XXXXXX)
a=vnf-hot-a-$$ b=vnf-hot-b-$$
stop_ns() {
    ip netns pids "$1" 2>/dev/null | xargs -r kill 2>/dev/null || true
    for _ in $(seq 100); do [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break; sleep 0.1; done
    ip netns pids "$1" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
}
cleanup() { for n in $a $b; do stop_ns $n; ip netns del $n 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

binary=$(bash "$here/scripts/build-static.sh")
# valgrind 3.19 cannot read the toolchain's DWARF ("possibly corrupted debuginfo"); the symbol table is
# all it needs for names.
strip --strip-debug -o "$work/vnf-ipsec" "$binary"
# Foundation's Process asks posix_spawn to close descriptors up to a limit valgrind lowers for its client,
# and fails with EBADF; this shim makes those requests succeed (the spawn itself is the real one).
clang="$(dirname "$(readlink -f "$(command -v swift)")")/clang"
"$clang" -shared -fPIC -o "$work/spawn-shim.so" "$here/scripts/valgrind-spawn-shim.c" -ldl

ip netns add $a; ip netns add $b
ip link add wanA netns $a type veth peer name wanB netns $b
ip -n $a addr add 192.0.2.1/24 dev wanA; ip -n $b addr add 192.0.2.2/24 dev wanB
for n in $a $b; do ip -n $n link set lo up; done
ip -n $a link set wanA up; ip -n $b link set wanB up
site() { echo "IPSEC_LOCALIP=$1 IPSEC_REMOTEIP=$2 IPSEC_LOCALID=$1 IPSEC_REMOTEID=$2 IPSEC_LOCALNET=$3 IPSEC_REMOTENET=$4 IPSEC_PSK=hot-functions-psk-0123456789 IPSEC_INTERFACES=$5"; }
cat > "$work/gateway.yaml" <<EOF
defaults: {localip: 192.0.2.1, localnet: 198.51.100.0/24, interfaces: [wanA]}
tunnels:
  - {name: peer, remoteip: 192.0.2.2, localid: 192.0.2.1, remoteid: 192.0.2.2, remotenet: 203.0.113.0/24, psk: hot-functions-psk-0123456789}
  - {name: absent, remoteip: 192.0.2.3, remotenet: 10.3.0.0/24, psk: absent-psk-0123456789abcdef, role: responder}
EOF
chmod 0600 "$work/gateway.yaml"

# collect NAME ENVIRONMENT ARGUMENTS: one traced run of the gateway in namespace a; the peer in b.
collect() {
    local name=$1 environment=$2 arguments=$3
    ip netns exec $b unshare -m --propagation private sh -c "mount -t tmpfs tmpfs /run; echo \$\$ > $work/peer.pid;
        exec env $(site 192.0.2.2 192.0.2.1 203.0.113.0/24 198.51.100.0/24 wanB) $work/vnf-ipsec run" > "$work/peer.log" 2>&1 &
    ip netns exec $a unshare -m --propagation private sh -c "mount -t tmpfs tmpfs /run; echo \$\$ > $work/gateway.pid;
        exec env $environment IPSEC_METRICS_LISTEN=127.0.0.1:9109 LD_PRELOAD=$work/spawn-shim.so \
        valgrind --tool=callgrind --demangle=no --callgrind-out-file=$work/$name.callgrind $work/vnf-ipsec run $arguments" > "$work/$name.log" 2>&1 &
    sleep 1
    local pid; pid=$(cat "$work/gateway.pid")
    # Under valgrind everything is some 50 times slower: wait (bounded) for the IKE_SA, then scrape.
    for _ in $(seq 120); do
        nsenter -t "$pid" -m -n swanctl --list-sas --raw 2>/dev/null | grep -q 'state=ESTABLISHED' && break; sleep 1
    done
    for _ in $(seq 5); do
        for path in metrics readyz healthz; do ip netns exec $a curl -s -o /dev/null -m 30 "http://127.0.0.1:9109/$path" || true; done
        sleep 2
    done
    kill -HUP "$pid"; sleep 10
    kill -TERM "$pid"
    for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    stop_ns $b
    grep -q "stopped" "$work/$name.log" || { echo "hot-functions: the traced run did not stop cleanly:" >&2; tail -20 "$work/$name.log" >&2; exit 1; }
    grep -q "IKE_SA .* established" "$work/$name.log" || { echo "hot-functions: no IKE_SA in the traced run" >&2; exit 1; }
}
collect environment "$(site 192.0.2.1 192.0.2.2 198.51.100.0/24 203.0.113.0/24 wanA)" ""
collect file "" "--config $work/gateway.yaml"

# The route-based gateway in the lab. The guest sees the checkout, not this host's /tmp: what it runs goes
# into the build folder, the wrapper naming it from the guest's side ($LAB_ROOT).
hot="$here/.build-static/hot-functions"
rm -rf "$hot"; mkdir -p "$hot"
cp "$work/vnf-ipsec" "$work/spawn-shim.so" "$hot/"
printf '%s\n' '#!/bin/sh' \
    'exec env LD_PRELOAD="$LAB_ROOT/.build-static/hot-functions/spawn-shim.so" valgrind --tool=callgrind --demangle=no --callgrind-out-file=/tmp/results/route-based.callgrind "$LAB_ROOT/.build-static/hot-functions/vnf-ipsec" "$@"' \
    > "$hot/traced"
chmod +x "$hot/traced"
LAB_JOBS=1 LAB_TIMEOUT=900 LAB_GUEST_TIMEOUT=1000 bash "$here/Tests/Lab/run.sh" "$here/scripts/hot-functions-lab" >&2 ||
    { echo "hot-functions: the lab's traced route-based gateway failed (Tests/Lab/results/hot-functions-lab)" >&2; exit 1; }
cp "$here/Tests/Lab/results/hot-functions-lab/route-based.callgrind" "$work/"

# The functions of the binary itself (not libc's, not the vDSO's), each once, sorted (every one is run, so
# their order among themselves hardly matters, and a sorted list changes by what changed); recursion marks
# ('2) and unnamed addresses dropped.
python3 - "$out" "$work/environment.callgrind" "$work/file.callgrind" "$work/route-based.callgrind" <<'EOF'
import os, re, sys
out, traces = sys.argv[1], sys.argv[2:]
names, seen = [], set()
for trace in traces:
    objects, functions, current = {}, {}, None
    for line in open(trace, errors="replace"):
        match = re.match(r"^(c?ob|c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if not match:
            continue
        kind, key, name = match.groups()
        table = objects if kind.endswith("ob") else functions
        if name:
            table[key] = name
        if kind == "ob":
            current = objects[key]
        elif kind == "fn" and os.path.basename(current or "") == "vnf-ipsec":  # its path differs in the guest
            function = re.sub(r"'\d+$", "", functions[key])
            if not function.startswith("0x") and function not in seen:
                seen.add(function)
                names.append(function)
with open(out, "w") as file:
    file.write("".join(name + "\n" for name in sorted(names)))
print(f"hot-functions: {len(names)} functions to {out}")
EOF
