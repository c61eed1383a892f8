. "$(dirname "$0")/../../lib/lab.sh"
topology
grep -q "192.0.2.2 192.0.2.1\|192.0.2.1 192.0.2.2" "$SCENARIO_DIR/ipsec.secrets" || fail "fixture"
# Part 1: mounted ipsec.conf/ipsec.secrets and a plugin override, run through starter.
MOUNTS_siteA="mount --bind $SCENARIO_DIR/siteA.ipsec.conf /etc/ipsec.conf; mount --bind $SCENARIO_DIR/ipsec.secrets /etc/ipsec.secrets; mount --bind $SCENARIO_DIR/farp.conf /etc/strongswan.d/charon/farp.conf"
MOUNTS_siteB="mount --bind $SCENARIO_DIR/siteB.ipsec.conf /etc/ipsec.conf; mount --bind $SCENARIO_DIR/ipsec.secrets /etc/ipsec.secrets; mount --bind $SCENARIO_DIR/farp.conf /etc/strongswan.d/charon/farp.conf"
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
esp_counted
wait_for 10 in_site siteA "$VNF" status --connection manual
in_site siteA "$VNF" status --connection manual > /tmp/status.txt && ok "status exit 0 for the mounted connection" || fail "status exit $?: $(cat /tmp/status.txt)"
grep -q "AES_GCM_16-256" /tmp/status.txt && ok "the mounted proposals were used" || fail "proposal: $(cat /tmp/status.txt)"
grep "loaded plugins" /tmp/siteA.log | grep -q " farp " && fail "farp loaded despite the mounted override" || ok "mounted plugin override applied (farp not loaded)"
stop_site siteA; stop_site siteB
[ "$STOP_STATUS" = 0 ] && ok "manual mode stops cleanly" || fail "manual mode exit $STOP_STATUS"
# Part 2: generated tunnel, mounted charon.conf.
: > /tmp/siteA.log; : > /tmp/siteB.log
MOUNTS_siteA="mount --bind $SCENARIO_DIR/charon.conf /etc/strongswan.d/charon.conf"
MOUNTS_siteB="$MOUNTS_siteA"
cp "$SCENARIO_DIR/siteA-charon.env" /tmp/siteA.env; cp "$SCENARIO_DIR/siteB-charon.env" /tmp/siteB.env
CHARON_DIR=$SCENARIO_DIR; SCENARIO_DIR=/tmp
init_site siteA; init_site siteB
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
status_of siteA >/dev/null && ok "status exit 0 with the mounted charon.conf" || fail "status exit $?"
grep -q "MOUNTED-LOGGER" /tmp/siteA.log && ok "charon used the mounted logger" || fail "mounted charon.conf not used"
finish
