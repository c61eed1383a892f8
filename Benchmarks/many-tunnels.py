#!/usr/bin/env python3
"""Prints a vnf-ipsec configuration file with N tunnels (default 1000) for the many-tunnels benchmark:
    python3 Benchmarks/many-tunnels.py 1000 > gateway.yaml            # route-based (a VTI key each)
    python3 Benchmarks/many-tunnels.py 1000 --policy > gateway.yaml   # policy-based
The tunnels are those of Tests/GatewayTests/ManyTunnelsLoadingTests.swift: one local address, tunnel n
to peer 198.51.(100 + n/250).(n%250 + 1) with remote subnet 10.(n/250).(n%250 + 1).0/24 (distinct, so
no two tunnels overlap), its own PSK, and role: responder, so that a gateway running this file sends
nothing to peers that do not exist; what is measured is configuration, not retransmissions."""
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
count = int(args[0]) if args else 1000
policy = "--policy" in sys.argv[1:]
if not 1 <= count <= 60000:
    sys.exit("usage: many-tunnels.py [N (1-60000)] [--policy]")
out = ["defaults:", "  localip: 192.0.2.1", "  role: responder"]
if policy:
    out.append("  localnet: 172.16.0.0/16")
out.append("tunnels:")
for n in range(1, count + 1):
    high, low = n // 250, n % 250 + 1
    out += [f"  - name: branch-{n}",
            f"    remoteip: 198.51.{100 + high}.{low}",
            f"    remotenet: 10.{high}.{low}.0/24",
            f"    psk: branch-{n}-key-0123456789abcdef"]
    if not policy:
        out += [f"    vti_key: {n}", f"    vti_staticroutes: 10.{high}.{low}.0/24"]
print("\n".join(out))
