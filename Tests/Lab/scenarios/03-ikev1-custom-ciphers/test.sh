. "$(dirname "$0")/../../lib/lab.sh"
topology
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
esp_counted
status_of siteA > /tmp/status.txt && ok "status exit 0" || fail "status exit $?"
grep -q "IKEv1" /tmp/status.txt && grep -q "AES_CBC-256/HMAC_SHA2_256_128" /tmp/status.txt && ok "IKEv1 with the custom suite" || fail "suite: $(cat /tmp/status.txt)"
# Mismatch: site B now insists on a different IKE proposal.
stop_site siteA; stop_site siteB
: > /tmp/siteA.log; : > /tmp/siteB.log
EXTRA_ENV="IPSEC_IKECIPHER=aes128-sha256-ecp256" start_site siteB
start_site siteA
# Whichever side initiates is told NO_PROPOSAL_CHOSEN; the responder logs why.
if wait_for 45 grep -q "received NO_PROPOSAL_CHOSEN error notify" /tmp/siteA.log /tmp/siteB.log; then
    ok "initiator logs: received NO_PROPOSAL_CHOSEN error notify"
else
    fail "no proposal-mismatch message in the logs"
fi
# Both sides initiate: the wait above may end on siteB's own attempt being refused, before siteA's request
# (or its retransmission, 4 s later) has reached siteB, the responder to it. Seen with a slow guest.
responder_logged() { grep -q "configured proposals: IKE:AES_CBC_128" /tmp/siteB.log && grep -q "no proposal found" /tmp/siteB.log; }
wait_for 30 responder_logged && ok "responder logs the received and configured proposals and: no proposal found" || fail "responder did not log the mismatch"
status_of siteA >/dev/null; rc=$?
[ "$rc" = 2 ] && ok "status exit 2 with no SA" || fail "status exit $rc despite the mismatch"
ip netns exec hostA ping -c1 -W1 203.0.113.10 >/dev/null 2>&1 && fail "traffic crossed without SAs" || ok "no traffic without SAs"
finish
