. "$(dirname "$0")/../../lib/lab.sh"
topology
init_site siteA; init_site siteB
start_site siteB --teardown-vti
start_site siteA
ping_across hostA 203.0.113.10
for s in siteA siteB; do
    stop_site $s
    [ "$STOP_STATUS" = 0 ] && ok "$s run exited 0" || fail "$s run exited $STOP_STATUS"
    [ "$(echo "$STOP_SECONDS < 5" | bc)" = 1 ] && ok "$s stopped in ${STOP_SECONDS}s" || fail "$s took ${STOP_SECONDS}s to stop"
    [ -z "$(ip -n $s xfrm state)" ] && ok "$s: no XFRM state left" || fail "$s: XFRM states left: $(ip -n $s xfrm state | head -3)"
    [ -z "$(ip -n $s xfrm policy | grep -v 'socket \(in\|out\)' | grep -v '^src 0.0.0.0/0 dst 0.0.0.0/0\|^src ::/0 dst ::/0' )" ] && ok "$s: no XFRM policy left" || fail "$s: policies left: $(ip -n $s xfrm policy | head -6)"
    [ -z "$(ip netns pids $s | xargs -r -n1 sh -c 'cat /proc/$0/comm' | grep charon)" ] && ok "$s: no charon left" || fail "$s: charon still running"
done
ip -n siteA link show vti42 >/dev/null 2>&1 && ok "siteA keeps init's VTI" || fail "siteA lost its VTI"
ip -n siteB link show vti42 >/dev/null 2>&1 && fail "siteB VTI not removed by --teardown-vti" || ok "siteB VTI removed (--teardown-vti)"
finish
