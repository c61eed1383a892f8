# Lab benchmark: tunnel-up time. Both sites started at once → first ping hostA → hostB answered, for
#   vnf-ipsec       `vnf-ipsec run` on both sites (renders, starts charon, loads over VICI, initiates);
#   hand-tuned      charon started by hand with a hand-written swanctl.conf and the same plugin trimming;
#   debian-default  charon with Debian's stock strongswan.conf and the same hand-written swanctl.conf.
# Rounds alternate between the variants in the same guest; medians are printed. Run through
# Benchmarks/lab.sh, never in CI.
. "$LAB_ROOT/Tests/Lab/lib/lab.sh"
. "$LAB_ROOT/Benchmarks/lab/lib.sh"
topology
rounds=${BENCH_ROUNDS:-5}
base="$SCENARIO_DIR/baseline"

# Pings until the first answer: the moment the tunnel carried a packet both ways. One ping per process:
# before the policies exist siteA answers "network unreachable", which ends a multi-packet ping early.
first_ping() {
    end=$(( $(date +%s) + 40 ))
    until ip netns exec hostA ping -n -q -c1 -W0.1 203.0.113.10 >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.02
    done
}

# start_baseline SITE CONF: charon as the container's only daemon, then swanctl loads the hand-written file.
start_baseline() {
    conf_env="STRONGSWAN_CONF=$2"; [ -z "$2" ] && conf_env=
    ip netns exec $1 unshare -m sh -c "
        mount -t tmpfs tmpfs /run
        export $conf_env
        /usr/lib/ipsec/charon & echo \$! > /tmp/$1.charon
        until [ -S /run/charon.vici ]; do sleep 0.02; done
        swanctl --load-all --noprompt --file '$base/$1.swanctl.conf' >/dev/null
        wait" >> /tmp/$1.log 2>&1 &
    echo $! > /tmp/$1.job
}
stop_baseline() { for s in siteA siteB; do kill -TERM "$(cat /tmp/$s.charon)" 2>/dev/null; wait "$(cat /tmp/$s.job)" 2>/dev/null; done; }
stop_vnf() { stop_site siteA; stop_site siteB; }
clean() { flush_sas; rm -f /tmp/siteA.charon /tmp/siteB.charon; sleep 0.5; }

round() {
    variant=$1
    t0=$(date +%s.%N)
    case $variant in
        vnf-ipsec) start_site siteB; start_site siteA ;;
        hand-tuned) start_baseline siteB "$base/strongswan.conf"; start_baseline siteA "$base/strongswan.conf" ;;
        debian-default) start_baseline siteB ""; start_baseline siteA "" ;;
    esac
    if first_ping; then
        echo "$variant $(echo "$(date +%s.%N) - $t0" | bc)" >> /tmp/rounds
    else
        fail "$variant: no ping within 40 s"; diagnostics
    fi
    case $variant in vnf-ipsec) stop_vnf ;; *) stop_baseline ;; esac
    clean
}

# One unmeasured round of each first: the first start of every binary reads it through hostfs.
for variant in vnf-ipsec hand-tuned debian-default; do round $variant; done
: > /tmp/rounds
for i in $(seq "$rounds"); do
    for variant in vnf-ipsec hand-tuned debian-default; do round $variant; done
done
cat /tmp/rounds
vnf=$(median vnf-ipsec); tuned=$(median hand-tuned); stock=$(median debian-default)
echo "bench: tunnel-up median (s) over $rounds rounds: vnf-ipsec $vnf, hand-tuned charon $tuned, debian-default charon $stock"
[ -n "$vnf" ] && [ -n "$tuned" ] && echo "bench: vnf-ipsec / hand-tuned = $(echo "scale=2; $vnf / $tuned" | bc)x (target <= 1.2x)"
[ -n "$vnf" ] && [ -n "$stock" ] && echo "bench: vnf-ipsec / debian-default = $(echo "scale=2; $vnf / $stock" | bc)x"
finish
