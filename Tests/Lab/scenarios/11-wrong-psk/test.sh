. "$(dirname "$0")/../../lib/lab.sh"
topology
start_site siteB
start_site siteA
if wait_for 15 grep -q "AUTHENTICATION_FAILED" /tmp/siteA.log /tmp/siteB.log; then ok "authentication failure logged"; else fail "no AUTHENTICATION_FAILED in the logs"; fi
status_of siteA > /tmp/status.txt; rc=$?
[ "$rc" = 2 ] && ok "status exit 2: $(head -1 /tmp/status.txt)" || fail "status exit $rc"
sleep 5
kill -0 "$(site_pid siteA)" && ok "run still running" || fail "run died"
ticks=$(awk '{print $14 + $15}' /proc/$(site_pid siteA)/stat)
[ "$ticks" -lt 200 ] && ok "run used $ticks CPU ticks (not spinning)" || fail "run used $ticks CPU ticks"
ip netns exec hostA ping -c1 -W1 203.0.113.10 >/dev/null 2>&1 && fail "traffic crossed" || ok "no traffic crossed"
grep -q "lab-psk-policy-based\|a-different-psk" /tmp/siteA.log /tmp/siteB.log && fail "a PSK reached the log" || ok "no PSK in the logs"
finish
