# Shared by every scenario (sourced). The guest runs as root with the host's file system read-only at /.
# Topology (strongSwan-test style):
#
#   hostA ── lanA/eth0 ── siteA ── wanA ═══ wanB ── siteB ── lanB/eth0 ── hostB
#   198.51.100.10    198.51.100.1   192.0.2.1     192.0.2.2   203.0.113.1    203.0.113.10
#
set -u
VNF="$LAB_ROOT/.build/${LAB_BUILD:-debug}/vnf-ipsec"
SCENARIO_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=/tmp/results
failures=0

say() { echo "lab: $*"; }

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

ok() { echo "ok: $*"; }

# ns NAME: a namespace with loopback up.
ns() { ip netns add "$1"; ip -n "$1" link set lo up; }

# links_up NS...: every link of each namespace up.
links_up() {
    for n in "$@"; do for l in $(ip -n $n -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do ip -n $n link set "$l" up; done; done
}

# The standard four-namespace topology; WAN over IPv4 unless WAN6=1 adds 2001:db8::1/2 too.
topology() {
    for n in siteA siteB hostA hostB; do ns $n; done
    ip link add wanA netns siteA type veth peer name wanB netns siteB
    ip link add lanA netns siteA type veth peer name eth0 netns hostA
    ip link add lanB netns siteB type veth peer name eth0 netns hostB
    ip -n siteA addr add 192.0.2.1/24 dev wanA
    ip -n siteB addr add 192.0.2.2/24 dev wanB
    ip -n siteA addr add 198.51.100.1/24 dev lanA
    ip -n siteB addr add 203.0.113.1/24 dev lanB
    ip -n hostA addr add 198.51.100.10/24 dev eth0
    ip -n hostB addr add 203.0.113.10/24 dev eth0
    if [ "${WAN6:-0}" = 1 ]; then
        ip -n siteA addr add 2001:db8::1/64 dev wanA nodad
        ip -n siteB addr add 2001:db8::2/64 dev wanB nodad
    fi
    if [ "${LAN6:-0}" = 1 ]; then
        ip -n siteA addr add 2001:db8:a::1/64 dev lanA nodad
        ip -n siteB addr add 2001:db8:b::1/64 dev lanB nodad
        ip -n hostA addr add 2001:db8:a::10/64 dev eth0 nodad
        ip -n hostB addr add 2001:db8:b::10/64 dev eth0 nodad
    fi
    links_up siteA siteB hostA hostB
    ip -n hostA route add default via 198.51.100.1
    ip -n hostB route add default via 203.0.113.1
    if [ "${LAN6:-0}" = 1 ]; then
        ip -n hostA -6 route add default via 2001:db8:a::1
        ip -n hostB -6 route add default via 2001:db8:b::1
    fi
    for n in siteA siteB; do
        ip netns exec $n sysctl -qw net.ipv4.ip_forward=1
        ip netns exec $n sysctl -qw net.ipv6.conf.all.forwarding=1
    done
}

# start_site SITE [ARGS...]: runs `vnf-ipsec run` as that site's container entrypoint: its own network and
# mount namespace with a private /run, environment from $SCENARIO_DIR/SITE.env (then $EXTRA_ENV, e.g. "IPSEC_VTI_MTU=1400").
start_site() {
    site=$1; shift
    env_file="$SCENARIO_DIR/$site.env"
    mounts="${MOUNTS_siteA:-}"; [ "$site" = siteB ] && mounts="${MOUNTS_siteB:-}"
    # Two runs of one site would share its network namespace but not its /run (nor the instance lock):
    # a scenario must stop the earlier one first (stop_site waits for it).
    if [ -s /tmp/$site.job ] && alive "$(cat /tmp/$site.job)"; then
        fail "start_site $site: its earlier run (pid $(cat /tmp/$site.job)) is still running"
    fi
    ip netns exec $site unshare -m sh -c "
        mount -t tmpfs tmpfs /run
        $mounts
        set -a; . '$env_file'; ${EXTRA_ENV:-true}; set +a
        echo \$\$ > /tmp/$site.pid
        exec '$VNF' run $*" >> /tmp/$site.log 2>&1 &
    echo $! > /tmp/$site.job
    # The pid file is written by the shell that becomes vnf-ipsec (exec keeps the pid).
    for i in $(seq 50); do [ -s /tmp/$site.pid ] && break; sleep 0.05; done
}

# init_site SITE: runs `vnf-ipsec init` with the site's environment (upstream's init container), plus
# $EXTRA_ENV as for start_site. Output to /tmp/SITE.log, or to $INIT_LOG (keeps run's log its own).
init_site() {
    ip netns exec $1 sh -c "set -a; . '$SCENARIO_DIR/$1.env'; ${EXTRA_ENV:-true}; set +a; exec '$VNF' init" >> "${INIT_LOG:-/tmp/$1.log}" 2>&1
}

site_pid() { cat /tmp/$1.pid; }

# stop_site SITE: SIGTERM, then waits (at most 10 s) until the site's run has exited; sets STOP_STATUS and
# STOP_SECONDS. Call it from the shell that started the site: only that shell can read the exit status.
stop_site() {
    pid=$(cat /tmp/$1.job)
    t0=$(date +%s.%N)
    kill -TERM "$pid"
    ( sleep 10; kill -KILL "$pid" 2>/dev/null ) & guard=$!
    wait "$pid"; STOP_STATUS=$?
    # Not our child (started in a subshell): `wait` returned at once. The next start must not meet this
    # run's charon still shutting down, so wait for the process to be gone; its status is unknown.
    if [ "$STOP_STATUS" = 127 ]; then
        while alive "$pid"; do sleep 0.05; done
        echo "lab: stop_site $1: not started by this shell, its exit status is unknown" >&2
    fi
    kill "$guard" 2>/dev/null
    STOP_SECONDS=$(echo "$(date +%s.%N) - $t0" | bc)
    rm -f /tmp/$1.pid
}

# alive PID: the process runs (a zombie, killed but not yet waited for, does not).
alive() { alive_state=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$alive_state" != Z ]; }

# in_site SITE CMD...: a command inside the site's network and mount namespace (to reach its charon).
in_site() { s=$1; shift; nsenter -t "$(site_pid $s)" -m -n "$@"; }

status_of() { s=$1; shift; in_site "$s" "$VNF" status "$@"; }

# wait_for SECONDS CMD...: polls every 0.2 s; true as soon as CMD succeeds.
wait_for() {
    limit=$1; shift
    end=$(( $(date +%s) + limit ))
    while [ "$(date +%s)" -le "$end" ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}

# ping_across FROM TO: one packet must cross (bounded), three more must all come back.
ping_across() {
    if wait_for 20 ip netns exec "$1" ping -c1 -W1 "$2" && ip netns exec "$1" ping -c3 -i0.2 -W1 "$2" >/dev/null; then
        ok "ping $1 -> $2"
    else
        fail "ping $1 -> $2"
    fi
}

# esp_counted SITE: the kernel's XFRM states of SITE counted packets (ESP, not cleartext, crossed the WAN).
esp_packets() { ip -n "$1" -s xfrm state | awk '/lifetime current:/{getline; sub(/\(packets\)/, "", $2); s += $2} END {print s+0}'; }
esp_counted() {
    for s in siteA siteB; do
        n=$(esp_packets $s)
        if [ "${n:-0}" -gt 0 ]; then ok "$s XFRM states counted $n packets"; else fail "$s XFRM states counted no packets"; fi
    done
}

# udp_encapsulated SITE: the site's SAs are ESP in UDP (NAT-T, or forced).
udp_encapsulated() { ip -n "$1" xfrm state | grep -q "encap type espinudp"; }

diagnostics() { diagnose siteA siteB; }

# finish: stops the sites, prints diagnostics on failure, exits with the verdict.
finish() {
    [ "$failures" -gt 0 ] && diagnostics
    cp /tmp/siteA.log /tmp/siteB.log "$OUT/" 2>/dev/null
    for s in siteA siteB; do [ -s /tmp/$s.pid ] && kill -TERM "$(site_pid $s)" 2>/dev/null; done
    wait
    sleep 0.5
    if [ "$failures" -gt 0 ]; then echo "scenario failed ($failures)"; exit 1; fi
    echo "scenario passed"; exit 0
}

# ---- Any number of sites (hub and spoke, several tunnels per gateway). The helpers above stay for the
# two-site topology; these take the site and its configuration file by name.

# wan_switch ADDR SITE:IF ...: a namespace `wan` holding a bridge that plays the Internet; each SITE gets
# interface IF on it with address ADDR-prefix plus its own host part, e.g. `wan_switch 192.0.2 hub:wanH.1
# spoke1:wan1.2` gives hub 192.0.2.1/24 on wanH and spoke1 192.0.2.2/24 on wan1. Sites need not exist yet.
wan_switch() {
    prefix=$1; shift
    ip netns list | grep -qw wan || ns wan
    /tmp/modprobe bridge 2>/dev/null
    ip -n wan link show br0 >/dev/null 2>&1 || ip -n wan link add br0 type bridge
    ip -n wan link set br0 up
    for spec in "$@"; do
        site=${spec%%:*}; rest=${spec#*:}; ifname=${rest%.*}; host=${rest##*.}
        ip netns list | grep -qw "$site" || ns "$site"
        ip link add "$ifname" netns "$site" type veth peer name "p-$site" netns wan
        ip -n wan link set "p-$site" master br0 up
        ip -n "$site" addr add "$prefix.$host/24" dev "$ifname"
        ip -n "$site" link set "$ifname" up
        ip netns exec "$site" sysctl -qw net.ipv4.ip_forward=1
    done
}

# lan SITE IF GATEWAY/LEN HOSTNS HOSTADDR: a LAN host namespace HOSTNS (eth0 = HOSTADDR, same prefix length)
# behind SITE's interface IF (address GATEWAY), default route through SITE.
lan() {
    site=$1 ifname=$2 gw=$3 host=$4 addr=$5
    ip netns list | grep -qw "$host" || ns "$host"
    ip link add "$ifname" netns "$site" type veth peer name eth0 netns "$host"
    ip -n "$site" addr add "$gw" dev "$ifname"
    ip -n "$host" addr add "$addr/${gw#*/}" dev eth0
    ip -n "$site" link set "$ifname" up; ip -n "$host" link set eth0 up
    ip -n "$host" route add default via "${gw%/*}"
}

# init_config SITE FILE: `vnf-ipsec init --config FILE` in SITE's namespace (the init container).
init_config() { ip netns exec "$1" "$VNF" init --config "$2" >> "/tmp/$1.log" 2>&1; }

# start_config SITE FILE [ARGS...]: `vnf-ipsec run --config FILE` as SITE's entrypoint, like start_site
# (own mount namespace, private /run; MOUNTS_<SITE> runs there first).
start_config() {
    site=$1 file=$2; shift 2
    eval "mounts=\${MOUNTS_$site:-}"
    ip netns exec "$site" unshare -m sh -c "
        mount -t tmpfs tmpfs /run
        $mounts
        echo \$\$ > /tmp/$site.pid
        exec '$VNF' run --config '$file' $*" >> "/tmp/$site.log" 2>&1 &
    echo $! > "/tmp/$site.job"
    for i in $(seq 50); do [ -s "/tmp/$site.pid" ] && break; sleep 0.05; done
}

# keyed_spis NS A B: the SPIs of NS's keyed ESP SAs between addresses A and B (either direction), sorted.
# Larval ACQUIRE states (no algorithm line) are not SAs.
keyed_spis() {
    ip -n "$1" xfrm state | awk -v a="$2" -v b="$3" '
        /^src / { if (spi != "" && keyed) print spi; spi = ""; keyed = 0; ours = (($2 == a && $4 == b) || ($2 == b && $4 == a)); next }
        ours && /^\tproto esp spi/ { spi = $4 }
        ours && /^\t(aead|enc|auth|auth-trunc) / { keyed = 1 }
        END { if (spi != "" && keyed) print spi }' | sort
}

# kill_site SITE: SIGKILL to everything in SITE's network namespace (vnf-ipsec and charon), as a crash or
# a power cut would; the site's kernel state stays.
kill_site() {
    for p in $(ip netns pids "$1"); do kill -KILL "$p" 2>/dev/null; done
    # Reaped, so the site can be started again (a zombie of ours would still hold its pid).
    wait "$(cat /tmp/$1.job)" 2>/dev/null
    rm -f "/tmp/$1.pid"
}

# diagnose SITE...: what diagnostics prints, for the named sites.
diagnose() {
    echo "==== diagnostics ===="
    for s in "$@"; do
        # charon's start-up lines (plugins, threads) say nothing about a failure: left out, so the lines
        # that do fit in what CI keeps of a failed scenario.
        echo "---- $s: log (last 60 lines, without charon's start-up)"
        grep -v ' 00\[\(LIB\|PTS\|JOB\|CFG\)\] ' /tmp/$s.log 2>/dev/null | tail -60
        echo "---- $s: status"; [ -s /tmp/$s.pid ] && status_of $s 2>&1 | head -30
        echo "---- $s: ip xfrm state"; ip -n $s -s xfrm state 2>&1 | head -60
        echo "---- $s: ip xfrm policy"; ip -n $s xfrm policy 2>&1 | head -40
        echo "---- $s: routes"; ip -n $s route show table all 2>&1 | grep -v "^local\|^broadcast\|^multicast" | head -30
        echo "---- $s: links"; ip -n $s -d link show 2>&1 | head -40
    done
}

# finish_sites SITE...: finish for the named sites (logs copied to the results, SIGTERM to those running).
finish_sites() {
    [ "$failures" -gt 0 ] && diagnose "$@"
    for s in "$@"; do cp /tmp/$s.log "$OUT/" 2>/dev/null; done
    for s in "$@"; do [ -s /tmp/$s.pid ] && kill -TERM "$(site_pid $s)" 2>/dev/null; done
    wait
    sleep 0.5
    if [ "$failures" -gt 0 ]; then echo "scenario failed ($failures)"; exit 1; fi
    echo "scenario passed"; exit 0
}

# ---- A router between the sites, and what crosses it in cleartext (the fail-closed and BGP scenarios).

# routed_topology: the four namespaces of `topology`, but the WAN is two segments joined by a namespace
# `router` (siteA 192.0.2.1/25 ── .126 router .254 ── 192.0.2.129/25 siteB); each site's default route
# points at the router, so a LAN packet the gateway does not encrypt really leaves. The router sends
# every packet for either LAN (198.51.100.0/24, 203.0.113.0/24) to a dummy interface `leak0`: its tx
# counter (cleartext_packets) counts the LAN-to-LAN packets that crossed the WAN unencrypted (ESP between
# the gateways is forwarded normally). IPv4 only.
routed_topology() {
    for n in siteA siteB hostA hostB router; do ns $n; done
    ip link add wanA netns siteA type veth peer name toA netns router
    ip link add wanB netns siteB type veth peer name toB netns router
    ip link add lanA netns siteA type veth peer name eth0 netns hostA
    ip link add lanB netns siteB type veth peer name eth0 netns hostB
    /tmp/modprobe dummy 2>/dev/null
    # No IPv6 on the router: leak0's own MLD and neighbour-discovery packets would be counted as leaks.
    ip netns exec router sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec router sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip -n router link add leak0 type dummy
    ip -n siteA addr add 192.0.2.1/25 dev wanA
    ip -n router addr add 192.0.2.126/25 dev toA
    ip -n router addr add 192.0.2.254/25 dev toB
    ip -n siteB addr add 192.0.2.129/25 dev wanB
    ip -n siteA addr add 198.51.100.1/24 dev lanA
    ip -n siteB addr add 203.0.113.1/24 dev lanB
    ip -n hostA addr add 198.51.100.10/24 dev eth0
    ip -n hostB addr add 203.0.113.10/24 dev eth0
    links_up siteA siteB hostA hostB router
    ip -n router route add 198.51.100.0/24 dev leak0
    ip -n router route add 203.0.113.0/24 dev leak0
    ip -n siteA route add default via 192.0.2.126
    ip -n siteB route add default via 192.0.2.254
    ip -n hostA route add default via 198.51.100.1
    ip -n hostB route add default via 203.0.113.1
    for n in siteA siteB router; do ip netns exec $n sysctl -qw net.ipv4.ip_forward=1; done
}

# cleartext_packets: LAN-to-LAN packets the router has seen unencrypted so far (leak0's tx counter).
cleartext_packets() { ip netns exec router cat /sys/class/net/leak0/statistics/tx_packets; }

# icmp_counter NS NAME: a counter of NS's ICMP statistics (/proc/net/snmp), e.g. InEchoReps, OutEchos.
icmp_counter() {
    ip netns exec "$1" awk -v name="$2" '/^Icmp:/ { if (!n) { for (i = 2; i <= NF; i++) col[$i] = i; n = 1 } else print $col[name] }' /proc/net/snmp
}

# start_pinger FROM TO: FROM pings TO every 0.05 s in the background until stop_pinger (20 packets/s,
# as the issue measured); the replies are counted by icmp_counter FROM InEchoReps.
start_pinger() { ip netns exec "$1" ping -q -i 0.05 -W 1 "$2" > /tmp/pinger.txt 2>&1 & echo $! > /tmp/pinger.pid; }
stop_pinger() { [ -s /tmp/pinger.pid ] && kill -INT "$(cat /tmp/pinger.pid)" 2>/dev/null; wait "$(cat /tmp/pinger.pid)" 2>/dev/null; rm -f /tmp/pinger.pid; }

# phase_begin NAME: starts counting for one phase of a scenario (cleartext at the router, echoes sent and
# answered at hostA, time). phase_end [EXPECT]: prints `phase NAME: cleartext N, sent N, replies N, Ns`
# and checks the cleartext count: EXPECT `none` (default) wants 0, `some` wants more than 0 (a negative
# phase: proves the counter sees a leak). PHASE_REPLIES is the number of replies in the phase.
phase_begin() {
    PHASE=$1; PHASE_T0=$(date +%s.%N); PHASE_C0=$(cleartext_packets)
    PHASE_S0=$(icmp_counter hostA OutEchos); PHASE_R0=$(icmp_counter hostA InEchoReps)
}
phase_end() {
    expect=${1:-none}
    c=$(( $(cleartext_packets) - PHASE_C0 )); sent=$(( $(icmp_counter hostA OutEchos) - PHASE_S0 ))
    PHASE_REPLIES=$(( $(icmp_counter hostA InEchoReps) - PHASE_R0 ))
    printf 'phase %s: cleartext %d, sent %d, replies %d, %.1fs\n' "$PHASE" "$c" "$sent" "$PHASE_REPLIES" "$(echo "$(date +%s.%N) - $PHASE_T0" | bc)"
    [ "$sent" -gt 0 ] || fail "phase $PHASE: hostA sent nothing (the pinger stopped?)"
    if [ "$expect" = some ]; then
        [ "$c" -gt 0 ] && ok "phase $PHASE: the router counted $c cleartext packets (the counter sees a leak)" || fail "phase $PHASE: no cleartext counted where a leak was expected"
    else
        [ "$c" = 0 ] && ok "phase $PHASE: no cleartext packet crossed the router" || fail "phase $PHASE: $c cleartext LAN-to-LAN packets crossed the router"
    fi
}

# replies_since N: true once hostA has received more than N echo replies in all.
replies_since() { [ "$(icmp_counter hostA InEchoReps)" -gt "$1" ]; }

# guard_count SITE: SITE's fail-closed guards: block policies at priority 4000000000 (policy-based tunnels)
# plus unreachable routes at metric 4000000000 (route-based tunnels).
guard_count() {
    echo $(( $(ip -n "$1" xfrm policy | grep -c "action block priority 4000000000") + $(ip -n "$1" route show table all | grep -c "^unreachable .* metric 4000000000") ))
}

# failover_topology: a customer gateway and the two gateways of one remote site (lab scenario 18 and
# Benchmarks/lab/failover):
#   hostA ── gw ══ wan (bridge) ══ cloud1 ── c1 ┐
#                               ══ cloud2 ── c2 ┴ hostC (10.0.0.10 on lo: the remote site's network 10.0.0.0/24)
# gw 192.0.2.1, cloud1 .11, cloud2 .12; cloud1 ↔ hostC 10.1.0.0/24, cloud2 ↔ hostC 10.2.0.0/24. hostC's
# way back to hostA prefers cloud1 (metric 10) and takes cloud2 (metric 20) once its link to cloud1 has no
# carrier (ignore_routes_with_linkdown): the return traffic fails over with the forward traffic, as a
# cloud's own routing would.
failover_topology() {
    wan_switch 192.0.2 gw:wanG.1 cloud1:wanC1.11 cloud2:wanC2.12
    # The kernel builds rfc4106(gcm(aes)) and self-tests it the first time an SA uses it: about 3 s in
    # user-mode Linux, which the first CHILD_SA of a fresh guest would wait for — longer than the gateway's
    # retransmission budget (2.4 s), so it would give up on an IKE_AUTH the cloud gateway is still answering
    # and leave it a second, orphan CHILD_SA. A throw-away SA pays that once, here.
    ip -n gw xfrm state add src 192.0.2.1 dst 192.0.2.99 proto esp spi 0x4242 mode tunnel \
        aead 'rfc4106(gcm(aes))' 0x$(printf '%072d' 0) 128
    ip -n gw xfrm state flush
    lan gw lanA 198.51.100.1/24 hostA 198.51.100.10
    ns hostC
    ip netns exec hostC sysctl -qw net.ipv4.conf.all.ignore_routes_with_linkdown=1
    ip -n hostC addr add 10.0.0.10/32 dev lo
    for n in 1 2; do
        ip link add lanC$n netns cloud$n type veth peer name c$n netns hostC
        ip -n cloud$n addr add 10.$n.0.1/24 dev lanC$n
        ip -n hostC addr add 10.$n.0.10/24 dev c$n
        ip -n cloud$n link set lanC$n up; ip -n hostC link set c$n up
        ip -n cloud$n route add 10.0.0.0/24 via 10.$n.0.10
        ip -n hostC route add 198.51.100.0/24 via 10.$n.0.1 metric ${n}0
    done
}

# cloud_down N / cloud_up N: cloud N loses its links (WAN and the one to hostC), as a dead gateway would /
# gets them back, with its route to the remote site's network.
cloud_down() { ip -n cloud$1 link set wanC$1 down; ip -n cloud$1 link set lanC$1 down; }
cloud_up() {
    ip -n cloud$1 link set wanC$1 up; ip -n cloud$1 link set lanC$1 up
    ip -n cloud$1 route replace 10.0.0.0/24 via 10.$1.0.10   # went with the link
}

# failover_seconds FILE T0 T1: from `ping -D` output in FILE, the seconds from T0 (just before the primary's
# links went down) to the first reply whose echo request was sent after T1 (once they were down; send time
# = the reply's timestamp minus its round trip): an upper bound, never flattered by the time the `ip`
# commands took. Empty if there is none.
failover_seconds() {
    awk -v t0="$2" -v t1="$3" '/bytes from/ { ts = substr($1, 2, length($1) - 2); ms = $0; sub(/.*time=/, "", ms); sub(/ ms.*/, "", ms)
        if (ts - ms / 1000 > t1) { printf "%.2f", ts - t0; exit } }' "$1"
}
