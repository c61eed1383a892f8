#!/usr/bin/env bash
# Installs everything vnf-ipsec needs to build, test and run its lab, from Debian's packages.
# Idempotent: a second run only checks. Package names come from Docker/runtime-packages.txt
# (what the image ships) plus the build/lab tools listed below.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

runtime=$(grep -Ev '^\s*(#|$)' "$here/Docker/runtime-packages.txt" | sed 's/=.*//')
build_and_lab="libmnl-dev user-mode-linux kmod iproute2 iptables iperf3 procps iputils-ping strace psmisc"

missing=()
for p in $runtime $build_and_lab; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected a Swift 6.x toolchain)" >&2; exit 1; }
echo "setup: ok"
