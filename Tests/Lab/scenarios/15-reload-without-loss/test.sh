. "$(dirname "$0")/../../lib/lab.sh"
# hostA ── siteA ══ siteB ── hostB, two route-based tunnels between the same two gateways:
#   tunA (vti42) 192.0.2.1 <-> 192.0.2.2, 198.51.100.0/24 <-> 203.0.113.0/24: a ping at 20 packets/s
#        crosses it the whole time
#   tunB (vti43) 192.0.2.11 <-> 192.0.2.12, 10.1.0.0/24 <-> 10.2.0.0/24: added by a reload. Second WAN
#        addresses, because Linux refuses a second VTI between the same endpoints (EEXIST: keys are not
#        compared), and second subnets on the same LAN links.
topology
ip -n siteA addr add 192.0.2.11/24 dev wanA; ip -n siteB addr add 192.0.2.12/24 dev wanB
ip -n siteA addr add 10.1.0.1/24 dev lanA; ip -n hostA addr add 10.1.0.10/24 dev eth0
ip -n siteB addr add 10.2.0.1/24 dev lanB; ip -n hostB addr add 10.2.0.10/24 dev eth0

# siteA runs `run --config $A_CONF` with reload_on_change off: its edits take effect only on SIGHUP.
# siteB's file (IPSEC_CONFIG_FILE) is replaced in its watched folder: no signal is sent.
# The keys are psk_files: siteB watches them, siteA takes them on SIGHUP.
A_CONF=/tmp/siteA/conf/gateway.yaml A_EDIT=/tmp/siteA/edit/gateway.yaml B_CONF=/tmp/siteB/conf/gateway.yaml
mkdir -p /tmp/siteA/conf /tmp/siteA/edit /tmp/siteA/keys /tmp/siteB/conf /tmp/siteB/keys
ln -s "$A_EDIT" "$A_CONF"
OLD_KEY_A=lab-psk-reload-tunA-old-0123456789
NEW_KEY_A=lab-psk-reload-tunA-new-9876543210
KEY_B=lab-psk-reload-tunB-0123456789abcd
# put FILE SOURCE: FILE replaced atomically (a new file renamed over it, as editors and ConfigMaps do).
put() { cp "$2" "$1.new" && mv -f "$1.new" "$1"; }
# put_key FILE KEY: the same for a key file (mode 0600).
put_key() { (umask 077; printf '%s\n' "$2" > "$1.new") && mv -f "$1.new" "$1"; }
# The phases' files: tunB's dpd_delay changed (step 2); an invalid remoteip (step 3).
sed 's/^    dpd_delay: 30s$/    dpd_delay: 10s/' "$SCENARIO_DIR/siteA-with-b.yaml" > /tmp/siteA-b-changed.yaml
sed 's/^    dpd_delay: 30s$/    dpd_delay: 10s/' "$SCENARIO_DIR/siteB-with-b.yaml" > /tmp/siteB-b-changed.yaml
sed 's/^    remoteip: 192.0.2.12$/    remoteip: 192.0.2.300/' /tmp/siteA-b-changed.yaml > /tmp/siteA-broken.yaml
sed 's/^    remoteip: 192.0.2.11$/    remoteip: 192.0.2.300/' /tmp/siteB-b-changed.yaml > /tmp/siteB-broken.yaml
for f in siteA-b-changed siteB-b-changed siteA-broken siteB-broken; do
    cmp -s /tmp/$f.yaml "$SCENARIO_DIR/${f%%-*}-with-b.yaml" && fail "$f.yaml: the edit did not apply"
done

for s in siteA siteB; do put_key /tmp/$s/keys/tunA.psk "$OLD_KEY_A"; put_key /tmp/$s/keys/tunB.psk "$KEY_B"; done
put "$A_EDIT" "$SCENARIO_DIR/siteA.yaml"
put "$B_CONF" "$SCENARIO_DIR/siteB.yaml"
ip netns exec siteA "$VNF" init --config "$A_CONF" >> /tmp/siteA.log 2>&1 || fail "siteA init --config"
init_site siteB || fail "siteB init (IPSEC_CONFIG_FILE)"
# siteB (responder) is up first: an IKE_SA_INIT reaching a charon without its connection is refused.
start_site siteB
wait_for 30 grep -q "connection loaded" /tmp/siteB.log || fail "siteB did not load tunA"
start_site siteA --config "$A_CONF"
wait_for 30 status_of siteA || fail "tunA did not come up within 30 s"
ping_across hostA 203.0.113.10

json() { status_of "$1" --json 2>/dev/null; }
# ike_ids SITE TUNNEL: the unique ids of the tunnel's established IKE_SAs, sorted, comma-separated.
ike_ids() {
    json "$1" | jq -r --arg t "$2" '[.tunnels[] | select(.connection == $t) | .securityAssociations[]
        | select(.state == "ESTABLISHED") | .uniqueID] | sort | join(",")'
}
# last_reload SITE: "SUCCEEDED REASON: SUMMARY" of the last reload, empty if none.
last_reload() { json "$1" | jq -r '.configuration.lastReload // empty | "\(.succeeded) \(.reason): \(.summary)"'; }
reload_is() { last_reload "$1" | grep -q -- "$2"; }
# expect_reload SITE PATTERN WHAT: the site's last reload matches PATTERN within 15 s.
expect_reload() {
    if wait_for 15 reload_is "$1" "$2"; then ok "$1 $3: $(last_reload $1)"; else fail "$1 $3: last reload '$(last_reload $1)'"; fi
}
# same_ike SITE TUNNEL IDS WHEN: the tunnel's IKE_SA unique ids are still IDS.
same_ike() {
    now=$(ike_ids "$1" "$2")
    [ -n "$3" ] && [ "$now" = "$3" ] && ok "$1 $2 IKE_SA $now unchanged $4" || fail "$1 $2 IKE_SA ids '$3' -> '$now' $4"
}
vti_tx() { ip -n "$1" -j -s link show "$2" | jq '.[0].stats64.tx.packets'; }

IKE_A_SITEA=$(ike_ids siteA tunA) IKE_A_SITEB=$(ike_ids siteB tunA)
[ -n "$IKE_A_SITEA" ] && [ -n "$IKE_A_SITEB" ] && ok "tunA IKE_SA: siteA #$IKE_A_SITEA, siteB #$IKE_A_SITEB" || fail "no tunA IKE_SA"

# The continuous ping over tunA. Phases are cut by icmp_seq: a phase ends with the highest sequence number
# ping has printed (a reply or `no answer yet`) when it ends; replies are counted once the ping has stopped.
PING=/tmp/ping-tunA.txt
ip netns exec hostA ping -D -O -i 0.05 -W 2 203.0.113.10 > $PING 2>&1 &
pinger=$!
last_seq() { grep -o 'icmp_seq=[0-9]*' $PING | tail -1 | cut -d= -f2; }
end_phase() { seq=$(last_seq); echo "$1 $seq" >> /tmp/phases; say "phase $1 ends at icmp_seq $seq"; }
sleep 3
end_phase 0

say "step 1: tunB added (siteB: file watcher, siteA: SIGHUP)"
put "$B_CONF" "$SCENARIO_DIR/siteB-with-b.yaml"
expect_reload siteB "^true a configuration file changed: added tunB; 1 unchanged" "saw its file change"
put "$A_EDIT" "$SCENARIO_DIR/siteA-with-b.yaml"
sleep 2
[ -z "$(last_reload siteA)" ] && ok "siteA did not reload by itself (reload_on_change: no)" || fail "siteA reloaded without SIGHUP: $(last_reload siteA)"
kill -HUP "$(site_pid siteA)"
expect_reload siteA "^true SIGHUP: added tunB; 1 unchanged" "reloaded on SIGHUP"
t0=$(date +%s.%N)
if wait_for 30 status_of siteA --tunnel tunB; then
    echo "tunB-up-seconds (after SIGHUP): $(echo "$(date +%s.%N) - $t0" | bc)"
    ok "siteA status --tunnel tunB exit 0"
else
    fail "tunB not up at siteA within 30 s"
fi
status_of siteA > /tmp/status.txt; rc=$?; cat /tmp/status.txt
[ "$rc" = 0 ] && grep -q "^2 of 2 tunnels up" /tmp/status.txt && grep -q "^tunB: up" /tmp/status.txt \
    && ok "siteA status: 2 of 2 up, tunB listed" || fail "siteA status exit $rc after tunB was added"
status_of siteB --tunnel tunB > /dev/null && ok "siteB status --tunnel tunB exit 0" || fail "siteB status --tunnel tunB exit $?"
tx0=$(vti_tx siteA vti43)
if wait_for 20 ip netns exec hostA ping -c1 -W1 -I 10.1.0.10 10.2.0.10 && ip netns exec hostA ping -c5 -i0.2 -W1 -I 10.1.0.10 10.2.0.10 > /dev/null; then
    ok "tunB carries traffic: 10.1.0.10 -> 10.2.0.10 (vti43 sent $(( $(vti_tx siteA vti43) - tx0 )) packets)"
else
    fail "no traffic across tunB"
fi
ip -n siteA xfrm state | grep -q "mark 0x2b/0xffffffff" && ok "siteA SAs with mark 43" || fail "no siteA SA with mark 43"
end_phase 1
same_ike siteA tunA "$IKE_A_SITEA" "after step 1"
same_ike siteB tunA "$IKE_A_SITEB" "after step 1"
IKE_B_SITEA=$(ike_ids siteA tunB)

say "step 2: tunB's dpd_delay changed (30s -> 10s)"
put "$B_CONF" /tmp/siteB-b-changed.yaml
expect_reload siteB "^true a configuration file changed: changed tunB ([^;]*); 1 unchanged" "changed tunB"
put "$A_EDIT" /tmp/siteA-b-changed.yaml
kill -HUP "$(site_pid siteA)"
expect_reload siteA "^true SIGHUP: changed tunB ([^;]*); 1 unchanged" "changed tunB"
last_reload siteA | grep -q "negotiated again" && fail "a DPD change renegotiated tunB"
sleep 2
end_phase 2
same_ike siteA tunA "$IKE_A_SITEA" "after step 2"
same_ike siteB tunA "$IKE_A_SITEB" "after step 2"
same_ike siteA tunB "$IKE_B_SITEA" "after step 2 (its own change keeps its SAs)"

say "step 3: a broken file (tunB remoteip 192.0.2.300) on both sides"
put "$B_CONF" /tmp/siteB-broken.yaml
expect_reload siteB "^false a configuration file changed: refused" "refused the broken file"
put "$A_EDIT" /tmp/siteA-broken.yaml
kill -HUP "$(site_pid siteA)"
expect_reload siteA "^false SIGHUP: refused" "refused the broken file"
for s in siteA siteB; do
    problems=$(json $s | jq -r '.configuration.lastReload.problems | join("; ")')
    echo "$problems" | grep -q "remoteip" && ok "$s status names the problem: $problems" || fail "$s reload problems: '$problems'"
    grep -q "reload (.*) refused; the running configuration stays" /tmp/$s.log && ok "$s logged the refusal" || fail "$s did not log the refusal"
    status_of $s > /tmp/status.txt; rc=$?
    [ "$rc" = 0 ] && grep -q "FAILED, refused; the running configuration stays" /tmp/status.txt \
        && ok "$s status exit 0 (2 of 2 up) and shows the failed reload" || { fail "$s status exit $rc after the broken file"; cat /tmp/status.txt; }
    kill -0 "$(site_pid $s)" 2>/dev/null && ok "$s still running" || fail "$s stopped"
done
ip netns exec hostA ping -c3 -i0.2 -W1 -I 10.1.0.10 10.2.0.10 > /dev/null && ok "tunB still carries traffic" || fail "tunB stopped after the broken file"
# The good files back: a reload that finds nothing to do.
put "$B_CONF" /tmp/siteB-b-changed.yaml
expect_reload siteB "^true a configuration file changed: no tunnel changed" "took the repaired file"
put "$A_EDIT" /tmp/siteA-b-changed.yaml
kill -HUP "$(site_pid siteA)"
expect_reload siteA "^true SIGHUP: no tunnel changed" "took the repaired file"
sleep 1
end_phase 3
same_ike siteA tunA "$IKE_A_SITEA" "after step 3"
same_ike siteB tunA "$IKE_A_SITEB" "after step 3"

say "step 4: tunA's key rotated on both sides (psk_file replaced), then its IKE_SA closed at siteA"
auths_before=$(grep -c "authentication of '192.0.2.2' with pre-shared key successful" /tmp/siteA.log)
# siteB sees its key file change; siteA (reload_on_change: no) takes it on SIGHUP.
put_key /tmp/siteB/keys/tunA.psk "$NEW_KEY_A"
expect_reload siteB "^true a configuration file changed: changed tunA (key); 1 unchanged" "loaded tunA's new key"
put_key /tmp/siteA/keys/tunA.psk "$NEW_KEY_A"
kill -HUP "$(site_pid siteA)"
expect_reload siteA "^true SIGHUP: changed tunA (key); 1 unchanged" "loaded tunA's new key"
same_ike siteA tunA "$IKE_A_SITEA" "after the key changed (before the IKE_SA is closed)"
same_ike siteB tunA "$IKE_A_SITEB" "after the key changed (before the IKE_SA is closed)"
# swanctl (in siteA's mount namespace: charon's socket is /var/run/charon.vici there) takes seconds to start
# in the guest (its af-alg plugin probes the kernel's algorithms), and returns once the IKE_SA is deleted.
t0=$(date +%s.%N)
in_site siteA swanctl --terminate --ike tunA > /tmp/terminate.txt 2>&1 && ok "swanctl --terminate --ike tunA at siteA" || fail "swanctl --terminate: $(tail -3 /tmp/terminate.txt)"
t1=$(date +%s.%N)
echo "swanctl-terminate-seconds: $(echo "$t1 - $t0" | bc)"
a_back() { ids=$(ike_ids siteA tunA); [ -n "$ids" ] && [ "$ids" != "$IKE_A_SITEA" ] && status_of siteA --tunnel tunA; }
if wait_for 30 a_back; then
    echo "tunA-back-seconds (after swanctl returned): $(echo "$(date +%s.%N) - $t1" | bc)"
    ok "tunA up again with a new IKE_SA: #$IKE_A_SITEA -> #$(ike_ids siteA tunA)"
else
    fail "tunA not up again with a new IKE_SA within 30 s (ids: '$(ike_ids siteA tunA)')"
fi
auths_after=$(grep -c "authentication of '192.0.2.2' with pre-shared key successful" /tmp/siteA.log)
[ "$auths_after" -gt "$auths_before" ] && ! grep -q AUTHENTICATION_FAILED /tmp/siteA.log /tmp/siteB.log \
    && ok "the new IKE_SA authenticated with the rotated key (PSK authentications at siteA: $auths_before -> $auths_after)" \
    || fail "no PSK authentication after the rotation ($auths_before -> $auths_after), or AUTHENTICATION_FAILED: $(grep -h AUTHENTICATION_FAILED /tmp/siteA.log /tmp/siteB.log | head -3)"
same_ike siteA tunB "$IKE_B_SITEA" "(tunB untouched by tunA's new IKE_SA)"
sleep 3
end_phase 4
sleep 2
kill -INT $pinger; wait $pinger
tail -2 $PING
cp $PING /tmp/phases "$OUT/"

# Per phase: the sequence numbers it sent, how many of them never got a reply, and the longest time between
# two replies (ping -D's timestamps) that came back in the phase.
grep 'bytes from' $PING | grep -v DUP | sed -n 's/^\[\([0-9.]*\)\].*icmp_seq=\([0-9]*\) .*/\2 \1/p' | sort -n -u -k1,1 > /tmp/replied.txt
prev=0
while read phase last; do
    total=$(( last - prev ))
    got=$(awk -v a=$prev -v b=$last '$1 > a && $1 <= b' /tmp/replied.txt | wc -l)
    lost=$(( total - got ))
    gap=$(awk -v a=$prev -v b=$last '$1 > a && $1 <= b { if (t != "" && $2 - t > g) g = $2 - t } { t = $2 } END { printf "%.2f", g }' /tmp/replied.txt)
    echo "phase $phase lost $lost of $total (longest gap between replies ${gap}s)"
    limit=0; [ "$phase" = 4 ] && limit=20
    if [ "$total" -lt 20 ]; then fail "phase $phase: only $total packets sent"
    elif [ "$lost" -le "$limit" ]; then ok "phase $phase: $lost of $total lost (at most $limit)"
    else fail "phase $phase: $lost of $total lost (more than $limit)"; fi
    prev=$last
done < /tmp/phases
finish
