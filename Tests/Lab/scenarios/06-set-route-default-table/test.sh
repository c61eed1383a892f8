. "$(dirname "$0")/../../lib/lab.sh"
topology
main_route() { ip -n siteA route show table main 203.0.113.0/24; }
[ -z "$(main_route)" ] && ok "no main-table route before start" || fail "route present before start"
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
if wait_for 10 sh -c "ip -n siteA route show table main 203.0.113.0/24 | grep -q wanA"; then ok "main-table route: $(main_route)"; else fail "no main-table route with the tunnel up"; fi
stop_site siteA
[ "$STOP_STATUS" = 0 ] && ok "run exited 0" || fail "run exited $STOP_STATUS"
[ -z "$(main_route)" ] && ok "main-table route removed on SIGTERM" || fail "route left behind: $(main_route)"
finish
