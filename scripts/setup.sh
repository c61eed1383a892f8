#!/usr/bin/env bash
# Installs everything vnf-ipsec needs to build, test and run its lab, from Debian's packages.
# Idempotent: a second run only checks. Package names come from Docker/runtime-packages.txt
# (what the image ships) plus the build/lab tools listed below.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# name=version pins from the image's package file: the lab runs what the image ships.
runtime=$(grep -Ev '^\s*(#|$)' "$here/Docker/runtime-packages.txt" | awk '{print $1}')
# bc: the lab's timings; python3, time: the on-demand benchmarks; openssl: those too, and the test CAs of the
# certificate tests (host and lab 19); podman, runc, catatonit (kube
# play's pause image), debootstrap (the base image) and python3-venv (Kubernetes' schemas): the image tests;
# prometheus (the server and promtool) and curl: the metrics tests, as real consumers; bird2: the BGP lab
# scenario and the BGP sidecar's configuration check; libstdc++-12-dev (the Swift toolchain's own need too):
# its archive is linked into the shipped binary (scripts/build-static.sh); valgrind: scripts/hot-functions.sh,
# which lists the functions `run` executes for the shipped binary's layout.
build_and_lab="libmnl-dev libstdc++-12-dev user-mode-linux kmod iproute2 iptables iperf3 procps iputils-ping strace psmisc bc python3 time openssl
  podman runc catatonit debootstrap python3-venv prometheus curl bird2 valgrind"

missing=()
for spec in $runtime $build_and_lab; do
  name=${spec%%=*}; want=${spec#*=}; [ "$want" = "$spec" ] && want=""
  # dpkg-query fails for a package it has never seen; under pipefail that must not end the script.
  have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null | sed -n 's/^install ok installed //p' || true)
  if [ -z "$have" ] || { [ -n "$want" ] && [ "$have" != "$want" ]; }; then missing+=("$spec"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    # A pinned version can vanish from Debian's mirror after a point release; the tests still need
    # the packages, so fall back to the current candidates and say so loudly.
    echo "setup: WARNING: pinned versions not installable; installing current candidates (run scripts/freeze-versions.sh)" >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]%%=*}" >/dev/null
  fi
fi
# The tests start their own Prometheus in a namespace; the package's service is not wanted on the host.
# So does the BGP scenario with BIRD (one per site namespace): the package's bird.service is not wanted either.
for service in prometheus bird; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled "$service" >/dev/null 2>&1; then
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  fi
done
# Kubernetes' own schemas for the manifests (PyPI), in a virtual environment of the project's own.
tools=${VNF_IPSEC_TOOLS:-/opt/vnf-ipsec-tools}
validator="kubernetes-validate==1.37.0"
if [ "$("$tools/venv/bin/pip" show kubernetes-validate 2>/dev/null | sed -n 's/^Version: //p' || true)" != "${validator#*==}" ]; then
  echo "setup: installing $validator into $tools/venv"
  /usr/bin/python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install -q --disable-pip-version-check "$validator"
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected a Swift 6.x toolchain)" >&2; exit 1; }
echo "setup: ok"
