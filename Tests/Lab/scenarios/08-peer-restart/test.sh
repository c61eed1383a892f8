. "$(dirname "$0")/../../lib/lab.sh"
topology
init_site siteA; init_site siteB
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
stop_site siteB
[ "$STOP_STATUS" = 0 ] && ok "site B stopped" || fail "site B exit $STOP_STATUS"
t0=$(date +%s)
start_site siteB
if wait_for 30 ip netns exec hostA ping -c1 -W1 203.0.113.10; then
    ok "traffic flows again after $(( $(date +%s) - t0 ))s without touching site A"
else
    fail "no traffic 30 s after site B restarted"
fi
status_of siteA >/dev/null && ok "site A status exit 0" || fail "site A status exit $?"
finish
