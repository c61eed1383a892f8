. "$(dirname "$0")/../../lib/lab.sh"
topology
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
ping_across hostB 198.51.100.10
esp_counted
status_of siteA > /tmp/status.txt && ok "status exit 0" || fail "status exit $?"
grep -q "AES_GCM_16-192" /tmp/status.txt && ok "upstream's default ESP proposal negotiated" || fail "unexpected proposal: $(cat /tmp/status.txt)"
finish
