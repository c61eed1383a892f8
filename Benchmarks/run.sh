#!/usr/bin/env bash
# On-demand benchmarks; prints figures, each against a baseline measured in the same run. Root required.
#   bash Benchmarks/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%F)"
swift build -c release --product vnf-ipsec 2>&1 | tail -1
(cd "$here" && swift build -c release --product route-bench 2>&1 | tail -1)
"$here/.build/release/route-bench"
python3 "$here/startup.py" "$root/.build/release/vnf-ipsec"
bash "$here/memory.sh" "$root/.build/release/vnf-ipsec"
