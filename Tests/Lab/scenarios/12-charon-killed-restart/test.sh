. "$(dirname "$0")/../../lib/lab.sh"
topology
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
# The SPIs of siteA's keyed SAs between the gateways. Larval ACQUIRE states (no algorithm line, created by the
# kernel when a packet meets a policy without an SA, and gone after net.core.xfrm_acq_expires) are not SAs.
spis() {
    ip -n siteA xfrm state | awk '
        /^src / { if (spi != "" && keyed) print spi; spi = ""; keyed = 0; ours = ($2 ~ /^192\.0\.2\.[12]$/ && $4 ~ /^192\.0\.2\.[12]$/); next }
        ours && /^\tproto esp spi/ { spi = $4 }
        ours && /^\t(aead|enc|auth|auth-trunc) / { keyed = 1 }
        END { if (spi != "" && keyed) print spi }' | sort
}
old=$(spis)
[ -n "$old" ] && ok "siteA SAs before the kill: $(echo $old)" || fail "no SAs at siteA"
# Somebody else's SA in the same namespace: not between the tunnel's endpoints, so never ours to remove.
ip -n siteA xfrm state add src 198.51.100.1 dst 198.51.100.99 proto esp spi 0x4242 mode tunnel \
    aead 'rfc4106(gcm(aes))' 0x0011223344556677889900112233445566778899 128
charon=$(ip netns pids siteA | while read p; do [ "$(cat /proc/$p/comm)" = charon ] && echo $p; done)
kill -KILL $charon
wait "$(cat /tmp/siteA.job)"; status=$?
[ "$status" = 1 ] && ok "run exited 1 when charon was killed" || fail "run exited $status"
grep -q "charon exited unexpectedly" /tmp/siteA.log && ok "run said why" || fail "no reason in the log"
[ -n "$(spis)" ] && ok "the dead charon's SAs are still in the kernel" || fail "no leftovers to test with"
start_site siteA
if wait_for 20 sh -c "grep -q 'removed [0-9]* SAs an earlier charon left between' /tmp/siteA.log"; then
    ok "restart: $(grep -o 'removed .* SAs an earlier charon left.*' /tmp/siteA.log | tail -1)"
else
    fail "restart did not remove the leftovers"
fi
ping_across hostA 203.0.113.10
new=$(spis)
stale=""
for spi in $old; do echo "$new" | grep -qx "$spi" && stale="$stale $spi"; done
[ -z "$stale" ] && ok "no SA of the dead charon left (now: $(echo $new))" || fail "stale SAs remain: $stale"
ip -n siteA xfrm state | grep -q "spi 0x00004242" && ok "somebody else's SA untouched" || fail "an unrelated SA was removed"
finish
