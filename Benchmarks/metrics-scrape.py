#!/usr/bin/env python3
"""Scrape latency: a tight loop of GET requests, each on a new connection (as Prometheus does after the
gateway's `Connection: close`), over the given URLs interleaved (request i goes to every URL in turn, order
rotating). Prints p50/p90/p99/max per URL and the size of the answer; 200 and 503 count as answers. Run inside the gateway's namespace:
    metrics-scrape.py REQUESTS URL [URL ...]"""
import http.client, statistics, sys, time, urllib.parse

count, urls = int(sys.argv[1]), sys.argv[2:]
parsed = [urllib.parse.urlsplit(u) for u in urls]

def get(u):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    c.request("GET", u.path)
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status not in (200, 503):  # /readyz is 503 while no CHILD_SA is installed
        sys.exit(f"{u.geturl()}: {r.status} {body[:200]!r}")
    return body

sizes = {u.geturl(): len(get(u)) for u in parsed}  # and a warm-up
times = {u.geturl(): [] for u in parsed}
for i in range(count):
    shift = i % len(parsed)
    for u in parsed[shift:] + parsed[:shift]:
        t0 = time.perf_counter()
        get(u)
        times[u.geturl()].append((time.perf_counter() - t0) * 1000)
for url, values in times.items():
    v = sorted(values)
    q = lambda p: v[min(len(v) - 1, int(len(v) * p))]
    print(f"scrape: {url:<36} {len(v)} requests  p50 {statistics.median(v):6.2f} ms  p90 {q(0.9):6.2f}  "
          f"p99 {q(0.99):6.2f}  max {v[-1]:6.2f}  ({sizes[url]} bytes)")
