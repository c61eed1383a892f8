#!/usr/bin/env bash
# The main job: installs what is needed, builds vnf-ipsec, and runs the lab's route-based scenario as a live
# demo — two sites in a real (user-mode) Linux kernel, each running `vnf-ipsec init` and `vnf-ipsec run`,
# an IKEv2 tunnel with kernel ESP through a VTI, and a ping from one LAN to the other.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
swift build 2>&1 | tail -1
echo
echo "  hostA 198.51.100.10 ── siteA 192.0.2.1 ══ IPsec/VTI ══ 192.0.2.2 siteB ── hostB 203.0.113.10"
echo
LAB_DEMO=1 bash Tests/Lab/run.sh 02-route-based-vti | grep -E "^(PASS|FAIL)" || true
out=Tests/Lab/results/02-route-based-vti/output.log
if grep -q DEMO-BEGIN "$out"; then
  grep -E "^tunnel-up-seconds" "$out" | sed 's/tunnel-up-seconds: /tunnel up after (s): /'
  sed -n '/DEMO-BEGIN/,/DEMO-END/p' "$out" | grep -vE "DEMO-(BEGIN|END)"
else
  cat "$out"
  exit 1
fi
