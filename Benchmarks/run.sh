#!/usr/bin/env bash
# On-demand benchmarks; prints figures, each against a baseline measured in the same run. Root required.
#   bash Benchmarks/run.sh        (the lab's tunnel-up and throughput figures: Benchmarks/lab.sh)
# The 1,000-tunnel figures alone, once the binaries are built: Benchmarks/many-tunnels.sh; reload with
# 1,000 tunnels: Benchmarks/reload.sh; the metrics endpoint: Benchmarks/metrics.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%F)"
swift build -c release --product vnf-ipsec 2>&1 | tail -1
# The image's binary, built as the image builds it.
bash scripts/build-static.sh "$root/.build-static" >/dev/null
(cd "$here" && swift build -c release --product route-bench 2>&1 | tail -1)
"$here/.build/release/route-bench"
python3 "$here/startup.py" "$root/.build/release/vnf-ipsec"
SECONDS_TO_WATCH=${SECONDS_TO_WATCH:-60} bash "$here/memory.sh" "$root/.build-static/release/vnf-ipsec" | sed 's/^memory:/memory (static, as in the image):/'
SECONDS_TO_WATCH=10 bash "$here/memory.sh" "$root/.build/release/vnf-ipsec" | sed 's/^memory:/memory (dynamic Foundation, 10 s):/'
bash "$here/many-tunnels.sh" "$root/.build/release/vnf-ipsec" "$root/.build-static/release/vnf-ipsec"
bash "$here/reload.sh" "$root/.build-static/release/vnf-ipsec"
bash "$here/metrics.sh" "$root/.build-static/release/vnf-ipsec"
for bin in "$root/.build-static/release/vnf-ipsec" "$root/.build/release/vnf-ipsec"; do
    echo "memory: \`vnf-ipsec --help\` peak RSS $( { /usr/bin/time -f %M "$bin" --help >/dev/null; } 2>&1 ) kB ($bin)"
done
