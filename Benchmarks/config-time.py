#!/usr/bin/env python3
"""`vnf-ipsec check --config` and `render --config` with a file of many tunnels, as whole processes, against
the same commands with a file of one tunnel and the one-tunnel environment check, all interleaved in the
same run (each round runs every case once, in rotating order). Prints medians and the cost per tunnel.
    config-time.py BINARY ONE.yaml MANY.yaml [OTHER_BINARY ...]
With other binaries (builds to compare, such as main's), their cases run in the same rounds, interleaved."""
import os, statistics, subprocess, sys, time

binary, one, many = sys.argv[1:4]
binaries = [binary] + sys.argv[4:]
rounds = int(os.environ.get("RUNS", "30"))
count = sum(1 for line in open(many) if line.startswith("  - name:"))
env = {k: v for k, v in os.environ.items() if not k.startswith("IPSEC_")}
single = dict(env, IPSEC_LOCALIP="192.0.2.1", IPSEC_REMOTEIP="192.0.2.2", IPSEC_LOCALID="192.0.2.1",
              IPSEC_REMOTEID="192.0.2.2", IPSEC_LOCALNET="198.51.100.0/24", IPSEC_REMOTENET="203.0.113.0/24",
              IPSEC_PSK="benchmark-only-psk-0123456789abcdef", IPSEC_KEYEXCHANGE="ikev2")
cases = [("/bin/true (floor)", ["/bin/true"], env)]
for b in binaries:
    label = "" if len(binaries) == 1 else f"[{os.path.basename(b)}] "
    cases += [(f"{label}check, environment (1 tunnel)", [b, "check"], single),
              (f"{label}check --config, 1 tunnel", [b, "check", "--config", one], env),
              (f"{label}check --config, {count} tunnels", [b, "check", "--config", many], env),
              (f"{label}render --config, 1 tunnel", [b, "render", "--config", one], env),
              (f"{label}render --config, {count} tunnels", [b, "render", "--config", many], env)]
for name, argv, e in cases:  # each must succeed
    subprocess.run(argv, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
samples = {name: [] for name, _, _ in cases}
for r in range(rounds):
    shift = r % len(cases)
    for name, argv, e in cases[shift:] + cases[:shift]:
        t0 = time.perf_counter()
        subprocess.run(argv, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples[name].append((time.perf_counter() - t0) * 1000)
med = {name: statistics.median(values) for name, values in samples.items()}
print(f"check/render with a configuration file, {rounds} interleaved rounds")
for name, _, _ in cases:
    values = sorted(samples[name])
    print(f"  {name:<48} median {med[name]:8.2f} ms   p90 {values[int(len(values) * 0.9)]:8.2f} ms")
for b in binaries:
    label = "" if len(binaries) == 1 else f"[{os.path.basename(b)}] "
    for command in ("check", "render"):
        small, large = med[f"{label}{command} --config, 1 tunnel"], med[f"{label}{command} --config, {count} tunnels"]
        print(f"  {label}{command}: {count} tunnels / 1 tunnel = {large / small:.1f}x, "
              f"{(large - small) / (count - 1) * 1000:.0f} µs per further tunnel")
