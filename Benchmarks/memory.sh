#!/usr/bin/env bash
# Peak RSS of `vnf-ipsec run` supervising an established IKE_SA for 60 s (two gateways in namespaces on this
# host; its kernel has no ESP, so the CHILD_SA is not installed — the supervisor's work is the same), against
# charon's own peak RSS in the same run.
set -euo pipefail
bin=$(realpath "${1:-.build/release/vnf-ipsec}")
seconds=${SECONDS_TO_WATCH:-60}
a=vnf-mem-a-$$ b=vnf-mem-b-$$
cleanup() { ip netns pids $a 2>/dev/null | xargs -r kill 2>/dev/null; ip netns pids $b 2>/dev/null | xargs -r kill 2>/dev/null; sleep 1; ip netns del $a 2>/dev/null; ip netns del $b 2>/dev/null; true; }
trap cleanup EXIT
ip netns add $a; ip netns add $b
ip link add wanA netns $a type veth peer name wanB netns $b
ip -n $a addr add 192.0.2.1/24 dev wanA; ip -n $b addr add 192.0.2.2/24 dev wanB
for n in $a $b; do ip -n $n link set lo up; done; ip -n $a link set wanA up; ip -n $b link set wanB up
site() { ip netns exec $1 unshare -m sh -c "mount -t tmpfs tmpfs /run; echo \$\$ > /tmp/$1.pid; exec env IPSEC_LOCALIP=$2 IPSEC_REMOTEIP=$3 IPSEC_LOCALID=$2 IPSEC_REMOTEID=$3 IPSEC_LOCALNET=$4 IPSEC_REMOTENET=$5 IPSEC_PSK=benchmark-psk-0123456789abcdef IPSEC_INTERFACES=$6 $bin run" > /tmp/$1.log 2>&1 & }
site $b 192.0.2.2 192.0.2.1 203.0.113.0/24 198.51.100.0/24 wanB
site $a 192.0.2.1 192.0.2.2 198.51.100.0/24 203.0.113.0/24 wanA
sleep 3
pid=$(cat /tmp/$a.pid)
rc=0; nsenter -t "$pid" -m -n "$bin" status >/dev/null || rc=$?
echo "memory: tunnel state: status exit $rc (1 = IKE_SA up; this kernel has no ESP for the CHILD_SA)"
sleep "$seconds"
charon=$(pgrep -P "$pid" charon || true)
echo "memory: after ${seconds}s  vnf-ipsec run peak RSS $(awk '/VmHWM/{print $2, $3}' /proc/$pid/status), charon peak RSS $(awk '/VmHWM/{print $2, $3}' /proc/$charon/status 2>/dev/null)"
