#!/usr/bin/env python3
"""Process start-up of `vnf-ipsec render` and `check`, as whole processes, against `/bin/true` and
`ip -V` measured in the same run (the floor for any process on this machine). Prints medians."""
import os, statistics, subprocess, sys, time

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/vnf-ipsec"
runs = int(os.environ.get("RUNS", "200"))
env = dict(os.environ)
env.update({
    "IPSEC_LOCALIP": "192.0.2.1", "IPSEC_REMOTEIP": "192.0.2.2",
    "IPSEC_LOCALID": "192.0.2.1", "IPSEC_REMOTEID": "192.0.2.2",
    "IPSEC_LOCALNET": "198.51.100.0/24", "IPSEC_REMOTENET": "203.0.113.0/24",
    "IPSEC_PSK": "benchmark-only-psk-0123456789abcdef", "IPSEC_KEYEXCHANGE": "ikev2",
})

def median_ms(argv):
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), sorted(samples)[int(len(samples) * 0.9)]

cases = [("/bin/true (floor)", ["/bin/true"]), ("ip -V (baseline)", ["ip", "-V"]),
         ("vnf-ipsec check", [binary, "check"]), ("vnf-ipsec render", [binary, "render"])]
print(f"process start-up, {runs} runs each")
floor = None
for name, argv in cases:
    med, p90 = median_ms(argv)
    floor = floor or med
    print(f"  {name:<22} median {med:6.2f} ms   p90 {p90:6.2f} ms   ({med / floor:4.1f}x floor)")
