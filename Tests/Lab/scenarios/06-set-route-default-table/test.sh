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

# The operator already routes the remote subnet elsewhere: the gateway's route replaces it while the tunnel
# is up, and stopping the gateway puts the operator's route back exactly as it was.
ip -n siteA route add 203.0.113.0/24 via 192.0.2.254 dev wanA
operator=$(main_route)
start_site siteA
# Ours goes straight out of wanA (the peer is on-link); the operator's went via 192.0.2.254.
if wait_for 15 sh -c "ip -n siteA route show table main 203.0.113.0/24 | grep -q wanA && ! ip -n siteA route show table main 203.0.113.0/24 | grep -q via"; then
    ok "tunnel route replaced the operator's: $(main_route)"
else
    fail "operator's route not replaced: $(main_route)"
fi
stop_site siteA
[ "$STOP_STATUS" = 0 ] && ok "run exited 0" || fail "run exited $STOP_STATUS"
[ "$(main_route)" = "$operator" ] && ok "operator's route restored: $(main_route)" || fail "operator's route not restored: '$(main_route)' (was '$operator')"
finish
