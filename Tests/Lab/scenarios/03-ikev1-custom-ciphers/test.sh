. "$(dirname "$0")/../../lib/lab.sh"
topology
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
esp_counted
status_of siteA > /tmp/status.txt && ok "status exit 0" || fail "status exit $?"
grep -q "IKEv1" /tmp/status.txt && grep -q "AES_CBC-256/HMAC_SHA2_256_128" /tmp/status.txt && ok "IKEv1 with the custom suite" || fail "suite: $(cat /tmp/status.txt)"
# Mismatch: site B now insists on AES-GCM for ESP.
stop_site siteA; stop_site siteB
EXTRA_ENV="IPSEC_ESPCIPHER=aes128gcm16-ecp256" start_site siteB
start_site siteA
if wait_for 15 grep -q "NO_PROPOSAL_CHOSEN\|no acceptable proposal found\|no matching proposal found" /tmp/siteA.log /tmp/siteB.log; then
    ok "mismatch reported: $(grep -ho 'NO_PROPOSAL_CHOSEN\|no acceptable proposal found\|no matching proposal found' /tmp/siteA.log /tmp/siteB.log | sort -u | tr '\n' ' ')"
else
    fail "no proposal-mismatch message in the logs"
fi
status_of siteA >/dev/null; rc=$?
[ "$rc" != 0 ] && ok "status exit $rc without a CHILD_SA" || fail "status says up despite the mismatch"
ip netns exec hostA ping -c1 -W1 203.0.113.10 >/dev/null 2>&1 && fail "traffic crossed without a CHILD_SA" || ok "no traffic without a CHILD_SA"
finish
