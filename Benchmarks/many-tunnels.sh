#!/usr/bin/env bash
# The many-tunnels figures (docs/benchmarks.md, section 6), each against a baseline in the same run. Root.
#   bash Benchmarks/many-tunnels.sh RELEASE_BINARY STATIC_BINARY    (run.sh builds both)
# TUNNELS (1000), RUNS (check/render rounds, 30), ROUNDS (load rounds, 20), SECONDS_TO_WATCH (30).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1") static=$(realpath "$2")
count=${TUNNELS:-1000} seconds=${SECONDS_TO_WATCH:-30}
work=$(mktemp -d /tmp/vnf-many-XXXXXX)
ns=vnf-many-$$
cleanup() {
    ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true
    sleep 1
    ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del $ns 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
python3 "$here/many-tunnels.py" 1 > "$work/one.yaml"
python3 "$here/many-tunnels.py" "$count" > "$work/many.yaml"

# 1. check and render (release build, as run.sh's start-up figures).
python3 "$here/config-time.py" "$bin" "$work/one.yaml" "$work/many.yaml"

# 2. Loading into a fresh charon: vnf-ipsec's VICI path against swanctl --load-all.
(cd "$here" && swift build -c release --product load-bench 2>&1 | tail -1)
"$here/.build/release/load-bench" "$work/many.yaml" "${ROUNDS:-20}"

# 3. Peak RSS of `run` (the image's static build) with one tunnel, then with all, each after loading and
# SECONDS_TO_WATCH idle seconds, charon's beside it. A throwaway network namespace holding the local
# address, and a mount namespace with its own /run; every tunnel is a responder, so nothing is sent.
ip netns add $ns
ip -n $ns link set lo up
ip -n $ns link add wan type veth peer name wan-peer
ip -n $ns addr add 192.0.2.1/24 dev wan
ip -n $ns link set wan up; ip -n $ns link set wan-peer up
# The same first tunnel from upstream's environment variables is the baseline: `run` without a file.
first=(IPSEC_LOCALIP=192.0.2.1 IPSEC_REMOTEIP=198.51.100.2 IPSEC_REMOTENET=10.0.2.0/24 IPSEC_ROLE=responder
       IPSEC_PSK=branch-1-key-0123456789abcdef IPSEC_VTI_KEY=1 IPSEC_VTI_STATICROUTES=10.0.2.0/24)
for source in environment one many; do
    case $source in
        environment) tunnels=1 what="environment,    1 tunnel" command="env ${first[*]} $static run" ;;
        *) tunnels=$(grep -c '^  - name:' "$work/$source.yaml") what=$(printf 'file, %4d tunnel(s)' "$tunnels")
           command="$static run --config $work/$source.yaml" ;;
    esac
    log=$work/run-$source.log
    : > "$log"
    start=$(date +%s.%N)
    ip netns exec $ns unshare -m --propagation private sh -c \
        "mount -t tmpfs tmpfs /run; echo \$\$ > $work/run.pid; exec $command" > "$log" 2>&1 &
    loaded=$([ "$tunnels" = 1 ] && echo "connection loaded" || echo "$tunnels connections loaded")
    for _ in $(seq 600); do grep -q "$loaded" "$log" && break; sleep 0.1; done
    grep -q "$loaded" "$log" || { echo "run did not log \"$loaded\":"; tail -5 "$log"; exit 1; }
    up=$(echo "$(date +%s.%N) - $start" | bc)
    pid=$(cat "$work/run.pid")
    conns=$(nsenter -t "$pid" -m -n swanctl --list-conns | grep -c '^[a-z0-9-]*: IKE')
    sleep "$seconds"
    charon=$(pgrep -P "$pid" charon)
    status() { awk -v k="$1:" '$1 == k {print $2, $3}' /proc/$2/status; }
    printf 'memory: run, %s (%4d in charon): loaded %.1f s after start; after %ss peak RSS %s (now %s), charon peak RSS %s\n' \
        "$what" "$conns" "$up" "$seconds" "$(status VmHWM $pid)" "$(status VmRSS $pid)" "$(status VmHWM $charon)"
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$pid" 2>/dev/null || { echo "run did not stop within 10 s"; exit 1; }
    grep -q "stopped" "$log" || { echo "run did not log its stop:"; tail -5 "$log"; exit 1; }
done
# Where run's memory goes: the peak RSS of the commands that do its first steps (read and check the file;
# and render swanctl.conf), same static build, and of doing nothing (--help).
for file in one many; do
    for command in check render; do
        printf 'memory: %-6s --config %-8s peak RSS %s kB\n' $command "$file" "$( { /usr/bin/time -f %M "$static" $command --config "$work/$file.yaml" >/dev/null; } 2>&1 )"
    done
done
echo "memory: --help peak RSS $( { /usr/bin/time -f %M "$static" --help >/dev/null; } 2>&1 ) kB"
left="processes $(ip netns pids $ns | wc -l), xfrm states $(ip -n $ns xfrm state | grep -c '^src' || true), policies $(ip -n $ns xfrm policy | grep -c '^src' || true)"
echo "memory: left behind in the namespace after the runs stopped: $left"
