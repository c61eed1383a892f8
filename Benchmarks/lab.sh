#!/usr/bin/env bash
# On-demand lab benchmarks (root; user-mode Linux from scripts/setup.sh): tunnel-up time, throughput, failover and
# a route-based gateway's memory, each against its baseline in the same guest (failover: against the detection
# budget its settings allow),
# plus this host's user-space cipher speeds for context.
#   bash Benchmarks/lab.sh      (BENCH_ROUNDS, BENCH_SECONDS, BENCH_PROPOSALS=a,b,c and BENCH_VTI_MTU tune them)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build -c release --product vnf-ipsec 2>&1 | tail -1
# The memory benchmark compares the shipped build with the same code in the default layout (linking is all
# that differs); the shipped one is linked last, so .build-static holds what ships.
mkdir -p .build-static/lab-memory
cp "$(UNORDERED=1 bash scripts/build-static.sh)" .build-static/lab-memory/unordered
cp "$(bash scripts/build-static.sh)" .build-static/lab-memory/ordered
for bench in tunnel-up throughput failover memory; do
    LAB_BUILD=release LAB_TIMEOUT=900 LAB_GUEST_TIMEOUT=960 bash Tests/Lab/run.sh "Benchmarks/lab/$bench" | grep -E "^(PASS|FAIL)"
    grep -vE "^(ok:|scenario passed)" "Tests/Lab/results/$bench/output.log"
done
# The guest kernel has no AES instructions (user-mode Linux runs generic C ciphers); this host's OpenSSL
# shows how the same ciphers compare where the CPU has them (1408-byte buffers, about one ESP payload).
echo "host CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), AES-NI: $(grep -qw aes /proc/cpuinfo && echo yes || echo no)"
for cipher in aes-128-gcm aes-192-gcm aes-256-gcm chacha20-poly1305; do
    openssl speed -seconds 1 -bytes 1408 -evp "$cipher" 2>/dev/null | tail -1 | awk -v c="$cipher" '{printf "host openssl %-18s %8.0f MB/s\n", c, $2 / 1000}'
done
