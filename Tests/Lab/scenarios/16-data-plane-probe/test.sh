. "$(dirname "$0")/../../lib/lab.sh"
topology
start_site siteB
start_site siteA
metrics() { in_site siteA curl -s "http://127.0.0.1:9500$1"; }
code() { in_site siteA curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:9500$1"; }
wait_for 20 status_of siteA && ok "tunnel up" || fail "tunnel not up: $(status_of siteA)"
# (wait_for runs a plain command: the site's namespaces are entered with nsenter, as in_site does.)
if wait_for 15 sh -c "nsenter -t $(site_pid siteA) -m -n '$VNF' status | grep -q 'probe vnf-ipsec 203.0.113.10:22: answered'"; then
    ok "probe answered: $(status_of siteA | grep 'probe ')"
else
    fail "probe not answered: $(status_of siteA | grep 'probe ')"
fi
[ "$(code /readyz)" = 200 ] && ok "/readyz 200 with the probe answered" || fail "/readyz $(code /readyz): $(metrics /readyz)"
metrics /metrics | grep -q 'vnf_ipsec_probe_up{tunnel="vnf-ipsec",target="203.0.113.10:22"} 1.0' && ok "vnf_ipsec_probe_up 1" \
    || fail "metrics: $(metrics /metrics | grep probe)"
# Only the probe runs now: siteA's outbound SA must count its packets (its source is 198.51.100.1, inside
# the policy; from the WAN address it would leave in clear).
out_sa_packets() { ip -n siteA -s xfrm state | awk '/^src 192.0.2.1 dst 192.0.2.2/{f=1} f&&/lifetime current:/{getline; sub(/\(packets\)/,"",$2); print $2; exit}'; }
p0=$(out_sa_packets); sleep 5; p1=$(out_sa_packets)
[ $((p1 - p0)) -ge 4 ] && ok "the outbound SA counted the probe: $((p1 - p0)) packets in 5 s" || fail "outbound SA packets $p0 -> $p1"
# hostB unplugged: the probe goes unanswered while the CHILD_SA stays installed.
ip -n hostB link set eth0 down
if wait_for 10 sh -c "[ \"\$(nsenter -t $(site_pid siteA) -m -n curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9500/readyz)\" = 503 ]"; then
    ok "/readyz 503 while the probe goes unanswered: $(metrics /readyz | head -2 | tr '\n' ' ')"
else
    fail "/readyz stayed $(code /readyz)"
fi
ip -n siteA xfrm state | grep -q "proto esp" && ok "the CHILD_SA stays installed" || fail "the SA went away"
metrics /metrics | grep -q 'vnf_ipsec_probe_up{tunnel="vnf-ipsec",target="203.0.113.10:22"} 0.0' && ok "vnf_ipsec_probe_up 0" || fail "probe still up"
ip -n hostB link set eth0 up; ip -n hostB route add default via 203.0.113.1 2>/dev/null
wait_for 10 sh -c "[ \"\$(nsenter -t $(site_pid siteA) -m -n curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9500/readyz)\" = 200 ]" \
    && ok "answered again: /readyz 200" || fail "/readyz $(code /readyz) after hostB came back"
lost=$(metrics /metrics | awk -F' ' '/^vnf_ipsec_probe_lost_total/{print $2}')
sent=$(metrics /metrics | awk -F' ' '/^vnf_ipsec_probe_sent_total/{print $2}')
echo "probe: $lost of $sent lost"
finish
