#!/usr/bin/env bash
# Tests of what an operator actually runs: the set-up script on a fresh Debian 12, and the container image
# (built by scripts/image.sh) under podman, with upstream's variables, capabilities dropped and a read-only
# root, two gateways in their own network namespaces, Kubernetes' own schemas and `podman kube play`.
# Usage: run.sh [TEST...] (default: all, in order). Prints one line per test and `N passed, N failed`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${IMAGE:-localhost/vnf-ipsec:latest}
base=localhost/debian:bookworm-slim
venv=${VNF_IPSEC_TOOLS:-/opt/vnf-ipsec-tools}/venv
results="$here/results"
podman=(podman --runtime runc)
# The hard limits here are below podman's defaults (and there is no CAP_SYS_RESOURCE to raise them).
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
# kube play takes no --ulimit and no --runtime: the same settings as a containers.conf of the tests' own.
export CONTAINERS_CONF="$here/containers.conf"

log() { echo "  $*"; }
fail() { echo "  FAIL: $*"; return 1; }

# A throwaway namespace pair joined by veth: wanA 192.0.2.1/24 in imgA, wanB 192.0.2.2/24 in imgB.
make_namespaces() {
  local n
  for n in imgA imgB; do ip netns del "$n" 2>/dev/null; ip netns add "$n"; ip -n "$n" link set lo up; done
  ip link add wanA netns imgA type veth peer name wanB netns imgB
  ip -n imgA addr add 192.0.2.1/24 dev wanA; ip -n imgB addr add 192.0.2.2/24 dev wanB
  ip -n imgA link set wanA up; ip -n imgB link set wanB up
}

remove_namespaces() { ip netns del imgA 2>/dev/null; ip netns del imgB 2>/dev/null; true; }

remove_containers() { "${podman[@]}" rm --force --ignore --time 0 "$@" >/dev/null 2>&1; true; }

# Upstream's variables for one side of the 192.0.2.1 <-> 192.0.2.2 tunnel (IDs default to the addresses).
site_env() { # site_env A|B FILE
  if [ "$1" = A ]; then
    printf '%s\n' IPSEC_LOCALIP=192.0.2.1 IPSEC_REMOTEIP=192.0.2.2 IPSEC_LOCALNET=198.51.100.0/24 \
      IPSEC_REMOTENET=203.0.113.0/24 IPSEC_KEYEXCHANGE=ikev2 IPSEC_INTERFACES=wanA > "$2"
  else
    printf '%s\n' IPSEC_LOCALIP=192.0.2.2 IPSEC_REMOTEIP=192.0.2.1 IPSEC_LOCALNET=203.0.113.0/24 \
      IPSEC_REMOTENET=198.51.100.0/24 IPSEC_KEYEXCHANGE=ikev2 IPSEC_INTERFACES=wanB > "$2"
  fi
}

# gateway NAME SITE [podman run flags...]: a gateway container in namespace img<SITE>, as an operator
# hardening it would start it. The PSK travels in the environment, never in argv.
gateway() {
  local name=$1 site=$2; shift 2
  site_env "$site" "$results/env$site"
  "${podman[@]}" run -d --name "$name" --network "ns:/run/netns/img$site" "${limits[@]}" \
    --read-only --tmpfs /run --env-file "$results/env$site" -e IPSEC_PSK "$@" "$image" >/dev/null 2>"$results/$name.podman.log" \
    || { cat "$results/$name.podman.log"; return 1; }
  # No systemd here, so podman cannot schedule the HEALTHCHECK's timer (it says so on stderr); the tests
  # run the check themselves with `podman healthcheck run`.
}

# wait_for SECONDS COMMAND...: polls COMMAND (every 0.2 s) until it succeeds; false after SECONDS.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.2; done
}

status_exit() { "${podman[@]}" exec "$1" vnf-ipsec status >/dev/null 2>&1; echo $?; }

status_is() { [ "$(status_exit "$1")" = "$2" ]; }

state_is() { [ "$("${podman[@]}" inspect --format '{{.State.Status}}' "$1" 2>/dev/null)" = "$2" ]; }

# `status` exits 1 with only the IKE_SA up, so its output is read whatever its exit code.
ike_established() { local out; out=$("${podman[@]}" exec "$1" vnf-ipsec status --json 2>/dev/null); grep -q '"ESTABLISHED"' <<<"$out"; }

# ---- tests ----------------------------------------------------------------------------------------------

# The README's promise: scripts/setup.sh on a fresh Debian 12 installs everything and says `setup: ok`;
# a second run installs nothing. The base carries the official slim image's three sources, so the pinned
# packages resolve and the "pinned versions not installable" fallback must not fire.
test_fresh_debian_setup() {
  local out="$results/fresh-setup.log" swift_dir
  swift_dir=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
  remove_containers vnf-ipsec-fresh
  # What every machine here has before any set-up: the Swift toolchain, the machine's own extra trust
  # anchors (ca-certificates' postinst adds them to the bundle) and the environment naming that bundle.
  local machine=(-v "$swift_dir:$swift_dir:ro") variable
  [ -d /usr/local/share/ca-certificates ] && machine+=(-v /usr/local/share/ca-certificates:/usr/local/share/ca-certificates:ro)
  for variable in PIP_CERT REQUESTS_CA_BUNDLE SSL_CERT_FILE PIP_INDEX_URL PIP_DEFAULT_TIMEOUT http_proxy https_proxy; do
    [ -n "${!variable:-}" ] && machine+=(-e "$variable")
  done
  "${podman[@]}" run --rm --name vnf-ipsec-fresh --network host "${limits[@]}" "${machine[@]}" \
    -v "$root:/src:ro" -e "PATH=$swift_dir/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "$base" bash -c 'grep -h "^deb " /etc/apt/sources.list; echo "=== first run"; bash /src/scripts/setup.sh; echo "exit $?"; echo "=== second run"; bash /src/scripts/setup.sh; echo "exit $?"; echo "=== tools"; ipsec --version; command -v linux.uml podman debootstrap; /opt/vnf-ipsec-tools/venv/bin/kubernetes-validate --version' \
    > "$out" 2>&1
  local first second
  first=$(sed -n '/^=== first run/,/^=== second run/p' "$out")
  second=$(sed -n '/^=== second run/,/^=== tools/p' "$out")
  grep -q "bookworm-security" "$out" || fail "the base image lacks bookworm-security: $(head -5 "$out")" || return 1
  grep -q "^setup: installing " <<<"$first" || fail "the first run installed nothing on a fresh machine: $(tail -20 "$out")" || return 1
  grep -qx "exit 0" <<<"$first" && grep -qx "setup: ok" <<<"$first" || fail "first run: $(tail -20 <<<"$first")" || return 1
  ! grep -q "WARNING" "$out" || fail "fallback fired: $(grep WARNING "$out")" || return 1
  ! grep -q "^setup: installing" <<<"$second" || fail "the second run installed again: $(grep installing <<<"$second")" || return 1
  grep -qx "exit 0" <<<"$second" && grep -qx "setup: ok" <<<"$second" || fail "second run: $second" || return 1
  local tools
  tools=$(sed -n '/^=== tools/,$p' "$out")
  grep -q "strongSwan U5.9" <<<"$tools" && grep -q "/linux.uml" <<<"$tools" && grep -q "/podman" <<<"$tools" \
    || fail "installed tools do not run: $tools" || return 1
  log "first run installed $(grep '^setup: installing' <<<"$first" | head -1 | wc -w | awk '{print $1 - 2}') Debian packages by name and kubernetes-validate; the second installed nothing"
}

# `check` and `render` in the image with upstream's variables: exit codes, the summary, the PSK redacted.
test_image_check_and_render() {
  local psk out size
  size=$("${podman[@]}" image inspect --format '{{.Size}}' "$image") || fail "no image $image (scripts/image.sh)" || return 1
  log "image $image: $((size / 1000000)) MB"
  site_env A "$results/envA"
  psk=$(openssl rand -base64 32)
  out=$(IPSEC_PSK=$psk "${podman[@]}" run --rm "${limits[@]}" --env-file "$results/envA" -e IPSEC_PSK "$image" check 2>&1) \
    || fail "check failed: $out" || return 1
  grep -q "203.0.113.0/24" <<<"$out" || fail "check's summary lacks the remote subnet: $out" || return 1
  ! grep -qF "$psk" <<<"$out" || fail "check printed the PSK" || return 1
  out=$(IPSEC_PSK=$psk "${podman[@]}" run --rm "${limits[@]}" --env-file "$results/envA" -e IPSEC_PSK "$image" render 2>&1) \
    || fail "render failed: $out" || return 1
  grep -q "remote_ts = 203.0.113.0/24" <<<"$out" && grep -q "<redacted>" <<<"$out" || fail "render: $out" || return 1
  ! grep -qF "$psk" <<<"$out" || fail "render printed the PSK" || return 1
  grep -q "farp" <<<"$out" || fail "render's strongswan.conf does not turn farp off" || return 1
  local rc=0
  out=$(IPSEC_PSK=$psk "${podman[@]}" run --rm "${limits[@]}" --env-file "$results/envA" -e IPSEC_PSK -e IPSEC_LIFETIME=forever "$image" check 2>&1) || rc=$?
  [ "$rc" = 2 ] && grep -q "IPSEC_LIFETIME" <<<"$out" || fail "invalid input: exit $rc, $out" || return 1
}

# Two gateways from the image, each in its own namespace, capabilities dropped to the two charon needs,
# read-only root: the IKE_SA comes up (this host kernel has no ESP, so the CHILD_SA cannot; the lab proves
# the data plane), status and the HEALTHCHECK answer, liveness survives a remote outage, and `podman stop`
# ends a gateway with exit 0 in under 5 s leaving no process and no XFRM state in its namespace.
test_image_two_gateways() {
  make_namespaces; remove_containers gwA gwB
  export IPSEC_PSK; IPSEC_PSK=$(openssl rand -base64 32)
  local caps=(--cap-drop ALL --cap-add NET_ADMIN --cap-add NET_BIND_SERVICE)
  gateway gwA A "${caps[@]}" && gateway gwB B "${caps[@]}" || fail "podman run failed" || return 1
  wait_for 30 ike_established gwA || { "${podman[@]}" logs gwA 2>&1 | tail -30; fail "no IKE_SA within 30 s"; return 1; }
  local rc out
  rc=$(status_exit gwA)
  out=$("${podman[@]}" exec gwA vnf-ipsec status 2>&1)
  [ "$rc" = 1 ] && grep -q "IKE_SA ESTABLISHED" <<<"$out" || fail "status: exit $rc (want 1: IKE only): $out" || return 1
  log "status in the container: exit $rc, $(head -2 <<<"$out" | tr '\n' ' ')"
  "${podman[@]}" healthcheck run gwA >/dev/null 2>&1 || fail "the image's HEALTHCHECK failed on a live gateway" || return 1
  [ "$("${podman[@]}" inspect --format '{{.State.Health.Status}}' gwA 2>/dev/null)" = healthy ] \
    || fail "health: $("${podman[@]}" inspect --format '{{.State.Health.Status}}' gwA)" || return 1
  # Remote outage: B goes away. A is no longer ready, but stays alive (no restart would help).
  "${podman[@]}" stop -t 5 gwB >/dev/null 2>&1
  wait_for 20 status_is gwA 2 || fail "A still reports a tunnel with B stopped: $("${podman[@]}" exec gwA vnf-ipsec status 2>&1)" || return 1
  "${podman[@]}" healthcheck run gwA >/dev/null 2>&1 || fail "a remote outage made A unhealthy" || return 1
  "${podman[@]}" exec gwA vnf-ipsec status --live >/dev/null 2>&1 || fail "status --live failed during a remote outage" || return 1
  ! grep -qF "$IPSEC_PSK" <<<"$("${podman[@]}" logs gwA 2>&1; "${podman[@]}" inspect gwA | grep -v IPSEC_PSK=)" \
    || fail "the PSK is in the log" || return 1
  local start end
  start=$(date +%s%N)
  "${podman[@]}" stop -t 10 gwA >/dev/null 2>&1
  end=$(date +%s%N)
  local ms=$(( (end - start) / 1000000 )) code
  code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' gwA)
  log "podman stop: ${ms} ms, exit $code"
  [ "$code" = 0 ] || { "${podman[@]}" logs gwA 2>&1 | tail -10; fail "exit $code after podman stop"; return 1; }
  [ "$ms" -lt 5000 ] || fail "podman stop took ${ms} ms" || return 1
  [ -z "$(ip netns pids imgA)" ] || fail "processes left in the namespace: $(ip netns pids imgA | xargs ps -o comm= -p)" || return 1
  # charon's SAs and policies are gone; the fail-closed guards stay on purpose (two block policies).
  [ -z "$(ip -n imgA xfrm state)" ] || fail "XFRM state left: $(ip -n imgA xfrm state)" || return 1
  local others; others=$(ip -n imgA xfrm policy list | grep -c '^src' || true)
  local guards; guards=$(ip -n imgA xfrm policy list action block priority 4000000000 | grep -c '^src' || true)
  [ "$guards" = 2 ] && [ "$others" = 2 ] || fail "after stop: $guards guard policies of $others (want the 2 guards only): $(ip -n imgA xfrm policy)" || return 1
  log "after stop: charon's SAs and policies gone, the 2 fail-closed guard policies kept"
  remove_containers gwA gwB; remove_namespaces
}

# charon needs CAP_NET_BIND_SERVICE for UDP 500/4500 and otherwise runs without a socket, silently. The
# gateway refuses to start without it, says which capability and how to grant it, and exits non-zero.
test_image_refuses_missing_capability() {
  make_namespaces; remove_containers gwA
  export IPSEC_PSK; IPSEC_PSK=$(openssl rand -base64 32)
  gateway gwA A --cap-drop ALL --cap-add NET_ADMIN || fail "podman run failed" || return 1
  wait_for 15 state_is gwA exited \
    || fail "still running without CAP_NET_BIND_SERVICE: $("${podman[@]}" logs gwA 2>&1 | tail -5)" || return 1
  local code out
  code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' gwA)
  out=$("${podman[@]}" logs gwA 2>&1)
  [ "$code" = 1 ] && grep -q "CAP_NET_BIND_SERVICE" <<<"$out" && grep -q -- "--cap-add NET_BIND_SERVICE" <<<"$out" \
    || fail "exit $code: $out" || return 1
  ! grep -q "^charon:" <<<"$out" || fail "charon was started anyway: $out" || return 1
  log "$(grep -o 'charon needs.*lacks' <<<"$out" | head -1)"
  remove_containers gwA; remove_namespaces
}

# Upstream's manual mode, mounted the way upstream's README says: files in /etc/ipsec.config.d and
# /etc/ipsec.secrets.d, included by the image's own /etc/ipsec.conf and /etc/ipsec.secrets.
test_image_manual_mode_mounts() {
  make_namespaces; remove_containers gwA
  local conf="$results/manual"
  rm -rf "$conf"; mkdir -p "$conf/config" "$conf/secrets"
  cat > "$conf/config/ipsec.branch.conf" <<'CONF'
conn branch
    keyexchange=ikev2
    left=192.0.2.1
    right=192.0.2.2
    leftsubnet=198.51.100.0/24
    rightsubnet=203.0.113.0/24
    authby=secret
    auto=add
CONF
  printf '192.0.2.1 192.0.2.2 : PSK "%s"\n' "$(openssl rand -base64 32)" > "$conf/secrets/ipsec.branch.secrets"
  chmod 0600 "$conf/secrets/ipsec.branch.secrets"
  "${podman[@]}" run -d --name gwA --network ns:/run/netns/imgA "${limits[@]}" --read-only --tmpfs /run \
    --cap-drop ALL --cap-add NET_ADMIN --cap-add NET_BIND_SERVICE -e IPSEC_USE_MANUAL_CONFIG=TRUE \
    -v "$conf/config:/etc/ipsec.config.d:ro" -v "$conf/secrets:/etc/ipsec.secrets.d:ro" "$image" >/dev/null \
    || fail "podman run failed" || return 1
  wait_for 20 sh -c "${podman[*]} exec gwA swanctl --list-conns | grep -q '^branch:'" \
    || { "${podman[@]}" logs gwA 2>&1 | tail -20; fail "the mounted connection was not loaded"; return 1; }
  # charon logs the secrets a moment after the connection shows: wait for the line, bounded.
  wait_for 10 sh -c "${podman[*]} logs gwA 2>&1 | grep -q 'loaded IKE secret for 192.0.2.1 192.0.2.2'" \
    || fail "the mounted secret was not loaded: $("${podman[@]}" logs gwA 2>&1 | grep -i secret)" || return 1
  "${podman[@]}" stop -t 10 gwA >/dev/null 2>&1
  [ "$("${podman[@]}" inspect --format '{{.State.ExitCode}}' gwA)" = 0 ] || fail "manual mode did not stop cleanly" || return 1
  remove_containers gwA; remove_namespaces
}

# Every manifest in docs/kubernetes against Kubernetes' own OpenAPI schemas, strictly (no unknown fields).
# The Prometheus Operator's kinds (monitoring.coreos.com: the PodMonitor) and cert-manager's (cert-manager.io:
# the Certificate) are CRDs, not in those schemas: kubernetes-validate only warns "Couldn't find schema" for
# them and passes nothing, so they are named and left out here on purpose (Tests/DocsTests parses the
# PodMonitor and checks the port it scrapes, and checks that the Certificate's Secret is what the Deployment mounts).
test_kubernetes_manifests_validate() {
  [ -x "$venv/bin/kubernetes-validate" ] || fail "kubernetes-validate missing (scripts/setup.sh)" || return 1
  local files crds out
  mapfile -t files < <(find "$root/docs/kubernetes" -name '*.yaml' | sort | xargs grep -L '^apiVersion: \(monitoring\.coreos\.com\|cert-manager\.io\)/')
  mapfile -t crds < <(find "$root/docs/kubernetes" -name '*.yaml' | sort | xargs grep -l '^apiVersion: \(monitoring\.coreos\.com\|cert-manager\.io\)/')
  [ ${#files[@]} -ge 5 ] || fail "only ${#files[@]} manifests found" || return 1
  out=$("$venv/bin/kubernetes-validate" --strict "${files[@]}" 2>&1) || fail "$out" || return 1
  [ "$(grep -c ' passed for resource ' <<<"$out")" = ${#files[@]} ] || fail "not every manifest passed: $out" || return 1
  log "${#files[@]} manifests valid against Kubernetes $("$venv/bin/kubernetes-validate" --version 2>&1 | grep -o '[0-9.]*' | head -1); not validated (CRDs): ${crds[*]##*/}"
}

# The policy-based Deployment played by podman as Kubernetes would run it (ConfigMap, Secret, read-only
# root, dropped capabilities, emptyDir /run) with a plain gateway container as its peer: the pod brings up
# the IKE_SA, its probes' commands answer (live, not ready: no ESP here), and `kube down` removes it.
# hostNetwork is taken out: the pod must not touch this machine's own network. Pods cannot join a named
# namespace (podman: "pods presently do not support network mode path"), so both sides sit on a podman
# bridge of the tests' own, 198.51.100.0/24 (this host's eth0 is in 192.0.2.0/24, so the manifest's WAN
# addresses move there and its subnets to two halves of 203.0.113.0/24).
test_kube_play_policy_based() {
  remove_containers gwB; remove_kube_network
  local dir="$root/docs/kubernetes" play="$results/policy-based.yaml"
  export IPSEC_PSK; IPSEC_PSK=$(openssl rand -base64 32)
  "${podman[@]}" network create --subnet 198.51.100.0/24 --gateway 198.51.100.254 "$kube_network" >/dev/null \
    || fail "no podman network" || return 1
  # podman 4.3 reads a secretKeyRef from a podman secret holding JSON with base64 values (its own Secret
  # kind support stores YAML it cannot read back), so the Secret is made the way podman reads it.
  podman secret rm vnf-ipsec-psk >/dev/null 2>&1
  printf '{"psk":"%s"}' "$(printf %s "$IPSEC_PSK" | base64 -w0)" | podman secret create vnf-ipsec-psk - >/dev/null
  { sed -e 's|"192.0.2.1"|"198.51.100.1"|; s|"192.0.2.2"|"198.51.100.2"|' \
        -e 's|"198.51.100.0/24"|"203.0.113.0/25"|; s|"203.0.113.0/24"|"203.0.113.128/25"|' "$dir/policy-based/configmap.yaml"
    echo "---"
    grep -v -e 'hostNetwork: true' -e 'nodeSelector:' -e 'vnf-ipsec/gateway:' "$dir/policy-based/deployment.yaml" \
      | sed "s|image: vnf-ipsec:latest|image: $image|"; } > "$play"
  grep -q "198.51.100.1" "$play" && grep -q "203.0.113.128/25" "$play" || fail "the manifest's addresses changed: $play" || return 1
  local out
  out=$(timeout 120 podman kube play --network "$kube_network" --ip 198.51.100.1 "$play" 2>&1) || { fail "kube play: $out"; return 1; }
  local pod_container
  pod_container=$(podman ps --format '{{.Names}}' | grep -- '^vnf-ipsec-policy.*-gateway$' | head -1)
  [ -n "$pod_container" ] || fail "no gateway container after kube play: $out" || return 1
  printf '%s\n' IPSEC_LOCALIP=198.51.100.2 IPSEC_REMOTEIP=198.51.100.1 IPSEC_LOCALNET=203.0.113.128/25 \
    IPSEC_REMOTENET=203.0.113.0/25 IPSEC_KEYEXCHANGE=ikev2 > "$results/envPeer"
  "${podman[@]}" run -d --name gwB --network "$kube_network" --ip 198.51.100.2 "${limits[@]}" --read-only --tmpfs /run \
    --cap-drop ALL --cap-add NET_ADMIN --cap-add NET_BIND_SERVICE --env-file "$results/envPeer" -e IPSEC_PSK "$image" \
    >/dev/null 2>"$results/gwB.podman.log" || fail "peer did not start: $(cat "$results/gwB.podman.log")" || return 1
  wait_for 30 ike_established "$pod_container" || { podman logs "$pod_container" 2>&1 | tail -20; fail "no IKE_SA from the pod"; return 1; }
  podman exec "$pod_container" /usr/local/bin/vnf-ipsec status --live >/dev/null || fail "the liveness probe's command failed" || return 1
  status_is "$pod_container" 1 || fail "readiness: $(podman exec "$pod_container" vnf-ipsec status 2>&1)" || return 1
  [ "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$pod_container")" = true ] || fail "root file system is writable" || return 1
  log "$pod_container: IKE_SA up with its peer, live, not ready (no ESP on this kernel), read-only root"
  podman kube down "$play" >/dev/null 2>&1
  ! podman container exists "$pod_container" || fail "kube down left $pod_container" || return 1
  podman secret rm vnf-ipsec-psk >/dev/null 2>&1
  remove_containers gwB; remove_kube_network
}

kube_network=vnf-ipsec-test
remove_kube_network() {
  for pod in $(podman pod ps --format '{{.Name}}' | grep '^vnf-ipsec-policy'); do podman pod rm -f "$pod" >/dev/null; done
  "${podman[@]}" network rm -f "$kube_network" >/dev/null 2>&1; true
}

all=(fresh_debian_setup image_check_and_render image_two_gateways image_refuses_missing_capability
     image_manual_mode_mounts kubernetes_manifests_validate kube_play_policy_based)
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("${all[@]}")
mkdir -p "$results"
passed=0; failed=0
for name in "${tests[@]}"; do
  name=${name//-/_}
  start=$(date +%s)
  echo "-- $name"
  if "test_$name"; then
    passed=$((passed + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
  else
    failed=$((failed + 1)); echo "FAIL $name ($(( $(date +%s) - start ))s)"
  fi
  remove_containers gwA gwB vnf-ipsec-fresh; remove_namespaces
  remove_kube_network
done
echo "image: ${passed} passed, ${failed} failed"
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
