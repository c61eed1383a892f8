#!/usr/bin/env python3
"""Which sections of a running executable are resident, in kB: the present pages of its mappings
(/proc/PID/pagemap, root) attributed to the ELF sections that hold their file offsets (`readelf -SW`),
split into file-backed pages (clean, shared with every process of the binary) and private copies
(written to: relocations, data). A page holding the end of one section and the start of the next counts
for both. Pages beyond the file (.bss) are listed as such.
    resident-sections.py PID [MIN_KB (64)]"""
import os, re, struct, subprocess, sys

pid, minimum = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 64
exe = os.readlink(f"/proc/{pid}/exe")
page = os.sysconf("SC_PAGE_SIZE")
sections = []  # (name, file offset, size, NOBITS)
for line in subprocess.run(["readelf", "-SW", f"/proc/{pid}/exe"], capture_output=True, text=True, check=True).stdout.splitlines():
    m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+\S+\s+(\S*)\s", line)
    if m and int(m.group(3), 16) and "A" in m.group(6):
        sections.append((m.group(1), int(m.group(4), 16), int(m.group(5), 16), m.group(2) == "NOBITS"))

def names(offset):
    hits = [s[0] for s in sections if not s[3] and s[1] < offset + page and offset < s[1] + s[2]]
    return hits or ["(no section)"]

file_kb, anon_kb, totals = {}, {}, {"file": 0, "anon": 0}
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb") as pagemap:
    previous_end = None
    for line in maps:
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        path = fields[5] if len(fields) > 5 else ""
        bss = path == "" and previous_end == start  # the anonymous tail right after the executable's data
        previous_end = end if path == exe or bss else None
        if path != exe and not bss:
            continue
        offset = int(fields[2], 16)
        pagemap.seek(start // page * 8)
        entries = pagemap.read((end - start) // page * 8)
        for i in range((end - start) // page):
            (entry,) = struct.unpack_from("<Q", entries, i * 8)
            if not entry >> 63 & 1:
                continue
            kind = "file" if entry >> 61 & 1 else "anon"
            totals[kind] += page // 1024
            for name in (names(offset + i * page) if not bss else [".bss (anonymous)"]):
                target = file_kb if kind == "file" else anon_kb
                target[name] = target.get(name, 0) + page // 1024
print(f"{exe}: resident {totals['file']} kB file-backed, {totals['anon']} kB private copies")
for name in sorted(set(file_kb) | set(anon_kb), key=lambda n: -(file_kb.get(n, 0) + anon_kb.get(n, 0))):
    size = next((s[2] for s in sections if s[0] == name), 0)
    if file_kb.get(name, 0) + anon_kb.get(name, 0) >= minimum:
        print(f"  {name:<32} file {file_kb.get(name, 0):>7} kB  copied {anon_kb.get(name, 0):>6} kB  of {size // 1024:>7} kB")
