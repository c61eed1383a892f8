#!/usr/bin/env bash
# Captures the rtnetlink requests iproute2 sends, as fixtures for NetlinkKit's message tests.
# Run as root: bash capture.sh > iproute2-requests.txt. Each block: the command, then the request's
# type, flags and payload (the bytes after the 16-byte nlmsghdr, whose seq/pid vary per run).
set -u
ns=nlk-capture-$$
ip netns add $ns; ip -n $ns link set lo up
trap 'ip netns del $ns' EXIT
capture() {
  local out
  out=$(strace -e trace=sendmsg -xx -s 65536 ip -n $ns "$@" 2>&1 >/dev/null | grep 'nlmsg_type' | tail -1)
  local type flags payload
  type=$(sed -E 's/.*nlmsg_type=([^ ,]+).*/\1/' <<<"$out")
  flags=$(sed -E 's/.*nlmsg_flags=([^,]+), nlmsg_seq.*/\1/' <<<"$out")
  payload=$(sed -E 's/.*\}, "([^"]*)".*/\1/' <<<"$out" | sed 's/\\x//g')
  printf 'command: ip %s\ntype: %s\nflags: %s\npayload: %s\n\n' "$*" "$type" "$flags" "$payload"
}
capture link add vti42 type vti local 192.0.2.1 remote 192.0.2.2 key 42
capture link add vti7 type vti6 local 2001:db8::1 remote 2001:db8::2 key 7
capture link add veth0 type veth peer name veth1
capture link set dev veth0 up
capture link set dev veth0 down
capture link set dev veth0 mtu 1400
capture addr add 198.51.100.1/24 dev veth0
capture addr add 169.254.0.1 peer 169.254.0.2/30 dev veth0
capture addr add 2001:db8:1::1/64 dev veth0
capture addr del 198.51.100.1/24 dev veth0
ip -n $ns link set veth0 up; ip -n $ns addr add 198.51.100.1/24 dev veth0
capture route add 203.0.113.0/24 dev veth0
capture route add 203.0.113.0/24 via 198.51.100.2 dev veth0 metric 100 table 220
capture route replace 203.0.113.0/24 dev veth0 table 1000
capture route del 203.0.113.0/24 dev veth0 table 1000
capture route add 2001:db8:2::/64 dev veth0
capture link del veth0
# Routes that drop: what the fail-closed guards of a route-based gateway are.
capture route add unreachable 203.0.113.0/24 metric 4000000000
capture route add unreachable 2001:db8:b::/48 metric 4000000000
capture route del unreachable 203.0.113.0/24 metric 4000000000
# XFRM policies go over NETLINK_XFRM; `ip xfrm policy update` sends XFRM_MSG_UPDPOLICY with ACK only.
capture xfrm policy update src 198.51.100.0/24 dst 203.0.113.0/24 dir out priority 4000000000 action block mark 0 mask 0x80000000
capture xfrm policy update src 2001:db8:a::/48 dst 2001:db8:b::/48 dir out priority 4000000000 action block mark 0x80000000 mask 0x80000000
capture xfrm policy delete src 2001:db8:a::/48 dst 2001:db8:b::/48 dir out mark 0x80000000 mask 0x80000000
