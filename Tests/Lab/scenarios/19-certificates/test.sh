. "$(dirname "$0")/../../lib/lab.sh"
PKI=/tmp/pki
mkdir -p $PKI && chmod 700 $PKI

# ca NAME LABEL: a CA (ECDSA P-256, self-signed) with an openssl `ca` database under $PKI/LABEL.
ca() {
    d=$PKI/$2; mkdir -p $d/db; : > $d/db/index.txt; echo 1000 > $d/db/serial
    openssl ecparam -name prime256v1 -genkey -noout -out $d/ca.key 2>/dev/null
    openssl req -x509 -new -key $d/ca.key -sha256 -days 365 -subj "/O=vnf-ipsec lab/CN=$1" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out $d/ca.crt
    cat > $d/ca.cnf <<CNF
[ ca ]
default_ca = lab
[ lab ]
database = $d/db/index.txt
serial = $d/db/serial
new_certs_dir = $d/db
certificate = $d/ca.crt
private_key = $d/ca.key
default_md = sha256
policy = any
unique_subject = no
x509_extensions = leaf
default_crl_days = 7
# charon finds a CRL by its authorityKeyIdentifier (check refuses one without).
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid:always
[ any ]
organizationName = optional
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
subjectAltName = \$ENV::SAN
CNF
}

# issue CA OUT CN SAN [openssl ca date options]: a key (0600) and a certificate signed by CA.
issue() {
    ca_dir=$PKI/$1 out=$2 cn=$3 san=$4; shift 4
    openssl ecparam -name prime256v1 -genkey -noout -out $PKI/$out.key 2>/dev/null; chmod 600 $PKI/$out.key
    openssl req -new -key $PKI/$out.key -subj "/O=vnf-ipsec lab/CN=$cn" -out $PKI/$out.csr
    SAN=$san openssl ca -batch -notext -config $ca_dir/ca.cnf -in $PKI/$out.csr -out $PKI/$out.crt "$@" 2>$PKI/$out.err \
        || { fail "openssl ca $out: $(cat $PKI/$out.err)"; }
}

ca "vnf-ipsec lab CA" lab
ca "another CA" other
cp $PKI/lab/ca.crt $PKI/ca.crt
issue lab siteA site-a "DNS:site-a.lab.example" -days 20
issue lab siteB site-b "DNS:site-b.lab.example" -days 20
issue other siteA-other site-a "DNS:site-a.lab.example" -days 20
issue lab siteA-expired site-a "DNS:site-a.lab.example" -startdate 20240101000000Z -enddate 20240201000000Z
cat $PKI/lab/ca.crt $PKI/other/ca.crt > $PKI/both-cas.crt
# A certificate of site A's revoked, and the lab CA's CRL that says so.
issue lab siteA-revoked site-a "DNS:site-a.lab.example" -days 20
SAN= openssl ca -config $PKI/lab/ca.cnf -revoke $PKI/siteA-revoked.crt 2>/dev/null || fail "openssl ca -revoke"
SAN= openssl ca -config $PKI/lab/ca.cnf -gencrl -out $PKI/lab.crl 2>/dev/null || fail "openssl ca -gencrl"

# check_with SITE ASSIGNMENTS...: `vnf-ipsec check` with the site's environment plus the assignments.
check_with() {
    s=$1; shift
    env -i PATH="$PATH" sh -c "set -a; . '$SCENARIO_DIR/$s.env'; $*; set +a; exec '$VNF' check" > /tmp/check.txt 2>&1
}

# ---- refused by check: the reason is known before anything starts
check_with siteA true && ok "check accepts site A's certificate: $(grep 'local ' /tmp/check.txt | head -1)" || fail "check refused site A: $(cat /tmp/check.txt)"
check_with siteA "IPSEC_LOCALCERT=$PKI/siteA-other.crt; IPSEC_LOCALKEY=$PKI/siteA-other.key"; rc=$?
[ "$rc" = 2 ] && grep -q "IPSEC_LOCALCERT=.*does not chain to IPSEC_CACERT.*another CA" /tmp/check.txt \
    && ok "another CA's certificate refused by check: $(grep -o 'does not chain[^;]*' /tmp/check.txt)" || fail "another CA: check exit $rc: $(cat /tmp/check.txt)"
check_with siteA "IPSEC_LOCALCERT=$PKI/siteA-expired.crt; IPSEC_LOCALKEY=$PKI/siteA-expired.key"; rc=$?
[ "$rc" = 2 ] && grep -q "has expired: valid from 2024-01-01T00:00:00Z until 2024-02-01T00:00:00Z" /tmp/check.txt \
    && ok "expired certificate refused by check with its dates" || fail "expired: check exit $rc: $(cat /tmp/check.txt)"
check_with siteA "IPSEC_LOCALCERT=$PKI/siteA-revoked.crt; IPSEC_LOCALKEY=$PKI/siteA-revoked.key; IPSEC_CRL=$PKI/lab.crl"; rc=$?
[ "$rc" = 2 ] && grep -q "IPSEC_CRL=.*revokes IPSEC_LOCALCERT" /tmp/check.txt \
    && ok "a certificate its own CRL revokes refused by check" || fail "revoked: check exit $rc: $(cat /tmp/check.txt)"
check_with siteA "IPSEC_LOCALID=site-x.lab.example"; rc=$?
[ "$rc" = 2 ] && grep -q 'IPSEC_LOCALID="site-x.lab.example": is not in IPSEC_LOCALCERT' /tmp/check.txt \
    && ok "a local ID not in the certificate refused by check" || fail "local ID: check exit $rc: $(cat /tmp/check.txt)"
chmod 644 $PKI/siteA.key
check_with siteA true; rc=$?
[ "$rc" = 2 ] && grep -q "IPSEC_LOCALKEY=\"$PKI/siteA.key\": is readable by everyone" /tmp/check.txt \
    && ok "a world-readable key file refused, named" || fail "key mode: check exit $rc: $(cat /tmp/check.txt)"
chmod 600 $PKI/siteA.key

# ---- the tunnel with the CA's certificates
topology
start_site siteB
start_site siteA
ping_across hostA 203.0.113.10
ping_across hostB 198.51.100.10
esp_counted
status_of siteA > /tmp/status.txt && ok "status exit 0" || fail "status exit $?: $(cat /tmp/status.txt)"
grep -q "\[O=vnf-ipsec lab, CN=site-a\] <-> .*\[O=vnf-ipsec lab, CN=site-b\]" /tmp/status.txt \
    && ok "identities are the certificates' subjects" || fail "identities: $(grep IKE_SA /tmp/status.txt)"
grep -q "own O=vnf-ipsec lab, CN=site-a: expires in 17[0-9]\{5\}s" /tmp/status.txt \
    && ok "status shows the certificate: $(grep 'own O=' /tmp/status.txt)" || fail "status: $(cat /tmp/status.txt)"
key_line=$(sed -n 2p $PKI/siteA.key)
if grep -rqF "$key_line" /tmp/siteA.log /tmp/siteB.log $(ls /proc/$(site_pid siteA)/root/run/vnf-ipsec/* 2>/dev/null); then
    fail "site A's key reached a log or the runtime folder"
else
    ok "the key is in no log and no file of the runtime folder"
fi

# ---- rotation: a renewed certificate and key (same subject) written over site A's files while traffic flows
ike_id() { status_of "$1" --json | jq -r '[.tunnels[].securityAssociations[] | select(.state == "ESTABLISHED") | .uniqueID] | join(",")'; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//; s/\(..\)/\1:/g; s/:$//'; }
ike_before=$(ike_id siteA)
issue lab siteA-renewed site-a "DNS:site-a.lab.example" -days 60
renewed=$(serial_of $PKI/siteA-renewed.crt)
ip netns exec hostA ping -i 0.1 -W1 -c 60 203.0.113.10 > /tmp/rotation-ping.txt 2>&1 & ping_job=$!
sleep 1
cp $PKI/siteA-renewed.key $PKI/siteA.key.new && mv $PKI/siteA.key.new $PKI/siteA.key
cp $PKI/siteA-renewed.crt $PKI/siteA.crt.new && mv $PKI/siteA.crt.new $PKI/siteA.crt
if wait_for 15 grep -q "reloaded (a configuration file changed): changed vnf-ipsec (certificates)" /tmp/siteA.log; then
    ok "site A took the renewed certificate: $(grep -o 'reloaded (a configuration file changed): changed vnf-ipsec (certificates)[^"]*' /tmp/siteA.log | head -1)"
else
    fail "site A did not reload the renewed certificate: $(grep -i reload /tmp/siteA.log | tail -3)"
fi
wait $ping_job
lost=$(awk '/packets transmitted/ {print $1 - $4}' /tmp/rotation-ping.txt)
[ "$lost" = 0 ] && ok "no packet lost across the rotation ($(grep 'packets transmitted' /tmp/rotation-ping.txt))" || fail "$lost packets lost across the rotation"
[ "$(ike_id siteA)" = "$ike_before" ] && ok "the established IKE_SA #$ike_before stayed" || fail "IKE_SA $ike_before -> $(ike_id siteA)"
status_of siteA --json | jq -r '.certificates[] | select(.hasPrivateKey) | .serialNumber' > /tmp/own-serials.txt
[ "$(cat /tmp/own-serials.txt)" = "$renewed" ] && ok "only the renewed certificate has a key loaded ($renewed)" || fail "own certificates with a key: $(cat /tmp/own-serials.txt), expected $renewed"
# A new handshake (the IKE_SA closed, traffic brings it back through the trap) uses it: site B then holds
# site A's renewed certificate.
in_site siteA swanctl --terminate --ike vnf-ipsec > /tmp/terminate.txt 2>&1 || fail "swanctl --terminate: $(tail -3 /tmp/terminate.txt)"
ping_across hostA 203.0.113.10
[ "$(ike_id siteA)" != "$ike_before" ] && ok "a new IKE_SA #$(ike_id siteA)" || fail "the IKE_SA was not negotiated again"
peer_holds() { status_of siteB --json | jq -e --arg serial "$1" '[.certificates[] | select(.serialNumber == $serial and (.hasPrivateKey | not))] | length == 1' > /dev/null; }
if wait_for 10 peer_holds "$renewed"; then
    ok "site B authenticated site A's renewed certificate in the new IKE_SA"
else
    fail "site B does not hold the renewed certificate: $(status_of siteB 2>&1 | tail -5)"
fi
stop_site siteA
cp $PKI/siteA-renewed.key $PKI/siteA.key; cp $PKI/siteA-renewed.crt $PKI/siteA.crt

# ---- refused by the peer: the peer's IKE error in site A's log, at the normal level
peer_refuses() {
    what=$1 reason=$2; shift 2
    : > /tmp/siteA.log; lines=$(wc -l < /tmp/siteB.log)
    EXTRA_ENV="$*" start_site siteA
    if wait_for 20 grep -q "AUTHENTICATION_FAILED" /tmp/siteA.log; then ok "$what: site A's log says $(grep -o 'received AUTHENTICATION_FAILED[^,]*' /tmp/siteA.log | head -1)"
    else fail "$what: no AUTHENTICATION_FAILED in site A's log"; fi
    status_of siteA > /tmp/status.txt; rc=$?
    [ "$rc" = 2 ] && ok "$what: status exit 2" || fail "$what: status exit $rc"
    ip netns exec hostA ping -c1 -W1 203.0.113.10 >/dev/null 2>&1 && fail "$what: traffic crossed" || ok "$what: no traffic crossed"
    tail -n +"$lines" /tmp/siteB.log | grep -q "$reason" && ok "$what: site B's log says why: $reason" || fail "$what: site B's log lacks '$reason'"
    stop_site siteA
}
peer_refuses "a CA site B does not trust" "no issuer certificate found for \"O=vnf-ipsec lab, CN=site-a\"" "IPSEC_LOCALCERT=$PKI/siteA-other.crt; IPSEC_LOCALKEY=$PKI/siteA-other.key; IPSEC_CACERT=$PKI/both-cas.crt"
peer_refuses "an ID site B did not pin" "no matching peer config found" "IPSEC_LOCALID=site-a.lab.example"

# ---- site B with the CA's CRL (loaded over VICI): A's revoked certificate is refused, its valid one is not
stop_site siteB
EXTRA_ENV="IPSEC_CRL=$PKI/lab.crl" start_site siteB
peer_refuses "a certificate the peer's CRL revokes" "certificate was revoked" "IPSEC_LOCALCERT=$PKI/siteA-revoked.crt; IPSEC_LOCALKEY=$PKI/siteA-revoked.key"
start_site siteA
ping_across hostA 203.0.113.10
finish
