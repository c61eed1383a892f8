#!/usr/bin/env python3
"""Reload with many tunnels: one tunnel's dpd_delay changed in the file, SIGHUP to `run`, timed until `run`
logs "reloaded (SIGHUP)" (it logs that after charon answered the load-conn, so the change is in charon);
against `swanctl --load-all --noprompt --file` of the swanctl.conf vnf-ipsec renders for the same changed
file, into the same charon, interleaved round by round (order alternating). Each change is checked in
charon afterwards (`swanctl --list-conns --raw`), the other connections compared before/after, and the
unique ids of the established IKE_SAs compared. Called by reload.sh:
    reload-time.py BINARY RUN_PID RUN_LOG CONFIG_DATA_FILE WORK_DIR TUNNEL ROUNDS"""
import os, re, signal, statistics, subprocess, sys, time

binary, pid, log, data, work, tunnel, rounds = sys.argv[1:8]
pid, rounds = int(pid), int(rounds)
original = open(data).read()
inside = ["nsenter", "-t", str(pid), "-m", "-n"]

def swanctl(*args):
    return subprocess.run(inside + ["swanctl", *args], capture_output=True, text=True, check=True).stdout

def with_dpd(seconds):  # the file with TUNNEL's dpd_delay set (its other lines untouched)
    return original.replace(f"  - name: {tunnel}\n", f"  - name: {tunnel}\n    dpd_delay: {seconds}s\n", 1)

def conns():  # connection name -> its raw description
    out = swanctl("--list-conns", "--raw")
    return dict(re.findall(r"list-conn event \{([\w.-]+) (\{.*)", out))

def ike_ids():  # established IKE_SA name -> unique id
    out = swanctl("--list-sas", "--raw")
    return {n: u for n, u, s in re.findall(r"\{([\w.-]+) \{uniqueid=(\d+) .*?state=(\w+)", out) if s == "ESTABLISHED"}

def dpd_of(description):
    return re.search(r"dpd_delay=(\d+)", description).group(1)

def log_size():
    return os.path.getsize(log)

def log_since(offset):
    with open(log, errors="replace") as f:
        f.seek(offset)
        return f.read()

def charon_loads(text):  # what charon logged about loading, per kind
    return {"connections": len(re.findall(r"(added|updated|replaced) vici connection", text)),
            "shared keys": len(re.findall(r"loaded IKE shared key", text))}

def ours(seconds):
    tmp = data + ".new"
    with open(tmp, "w") as f:
        f.write(with_dpd(seconds))
    os.rename(tmp, data)  # the watched folder holds a link to this file: only SIGHUP reloads
    offset = log_size()
    t0 = time.perf_counter()
    os.kill(pid, signal.SIGHUP)
    deadline, noticed = t0 + 10, None
    while time.perf_counter() < deadline:
        text = log_since(offset)
        if noticed is None and "SIGHUP: reloading" in text:
            noticed = (time.perf_counter() - t0) * 1000
        if "reloaded (SIGHUP)" in text:
            ms = (time.perf_counter() - t0) * 1000
            seen_signal.append(noticed if noticed is not None else ms)
            return ms, offset
        if "(SIGHUP): no tunnel changed" in text or "(SIGHUP) refused" in text or "failed part-way" in text:
            sys.exit("reload did not apply the change: " + text[-500:])
        time.sleep(0.0005)
    sys.exit("no 'reloaded (SIGHUP)' within 10 s: " + log_since(offset)[-500:])

def render(seconds):  # swanctl.conf vnf-ipsec renders for the changed file
    yaml = f"{work}/baseline-{seconds}.yaml"
    open(yaml, "w").write(with_dpd(seconds))
    folder = f"{work}/render-{seconds}"
    subprocess.run([binary, "render", "--config", yaml, "--out", folder], check=True, capture_output=True)
    return f"{folder}/swanctl.conf"

def baseline(conf):
    offset = log_size()
    t0 = time.perf_counter()
    subprocess.run(inside + ["swanctl", "--load-all", "--noprompt", "--file", conf], check=True, capture_output=True)
    return (time.perf_counter() - t0) * 1000, offset

floor, seen_signal = [], []
results = {"ours": [], "swanctl": []}
touched = {"ours": [], "swanctl": []}
loads = {"ours": [], "swanctl": []}
before_conns, before_ids = conns(), ike_ids()
print(f"reload: {len(before_conns)} connections in charon, {len(before_ids)} established IKE_SAs "
      f"({', '.join(sorted(before_ids))}); changing {tunnel}'s dpd_delay, {rounds} rounds")
for r in range(rounds):
    ours_value, base_value = 40 + 2 * r, 41 + 2 * r
    conf = render(base_value)
    t0 = time.perf_counter(); subprocess.run(inside + ["true"], check=True); floor.append((time.perf_counter() - t0) * 1000)
    order = [("ours", ours_value), ("swanctl", base_value)]
    if r % 2: order.reverse()
    for side, value in order:
        old_conns, old_ids = conns(), ike_ids()
        ms, offset = ours(value) if side == "ours" else baseline(conf)
        time.sleep(0.3)  # charon's relayed lines reach the log
        loads[side].append(charon_loads(log_since(offset)))
        new_conns, new_ids = conns(), ike_ids()
        if dpd_of(new_conns[tunnel]) != str(value):
            sys.exit(f"{side}: {tunnel} has dpd_delay={dpd_of(new_conns[tunnel])} in charon, expected {value}")
        others = [n for n in old_conns if n != tunnel and old_conns[n] != new_conns.get(n)]
        if others or set(new_conns) != set(old_conns):
            sys.exit(f"{side}: other connections differ after the reload: {others[:5]}")
        touched[side].append(sum(1 for n, u in old_ids.items() if new_ids.get(n) != u))
        results[side].append(ms)
open(data + ".new", "w").write(original); os.rename(data + ".new", data)

def fmt(values):
    return " ".join(f"{v:.0f}" for v in values)
m_ours, m_base = statistics.median(results["ours"]), statistics.median(results["swanctl"])
ratios = [o / b for o, b in zip(results["ours"], results["swanctl"])]
for side, what in (("ours", "SIGHUP -> 'reloaded (SIGHUP)' logged"), ("swanctl", "swanctl --load-all --file (process)")):
    v = sorted(results[side])
    print(f"reload: {what:<40} median {statistics.median(v):7.1f} ms  min {v[0]:6.1f}  max {v[-1]:6.1f}  rounds: {fmt(results[side])}")
    print(f"reload:   established IKE_SAs with a new unique id per round: {touched[side]}; "
          f"charon logged per round: {loads[side][0]} (first) {loads[side][-1]} (last)")
print(f"reload:   of which SIGHUP -> 'SIGHUP: reloading the configuration' logged: median {statistics.median(seen_signal):.1f} ms")
print(f"reload: nsenter + true (the baseline's process floor): median {statistics.median(floor):.1f} ms")
print(f"reload: median of the rounds' ratios ours / swanctl = {statistics.median(ratios):.2f}x; goal <= 100 ms: "
      f"{'met' if m_ours <= 100 else 'missed'}")
