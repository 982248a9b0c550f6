#!/usr/bin/env python3
"""Offline checks of syzkaller/lalloc.txt against the uapi header, for a
machine without syzkaller's Go toolchain (syz-sysgen is the real check):

- every struct the descriptions lay out has the size of its C struct;
- every LALLOC_IOC_* command and LALLOC_OP_* op of the header is described;
- every constant the descriptions name is in lalloc.txt.const, which must be
  what consts.c computes from the header now;
- the sized INFO/STATS commands decode to _IOWR(0xBC, 8 or 9, size).

usage: check.py CONSTS-BINARY   (exit 1 and one line per problem)
"""
import re
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
txt = (here / "lalloc.txt").read_text()
header = (here.parent / "module/include/uapi/linux/lalloc.h").read_text()
problems = []

consts_bin = sys.argv[1]
c_sizes = dict(l.split() for l in subprocess.check_output([consts_bin, "sizes"], text=True).splitlines())
generated = subprocess.check_output([consts_bin], text=True)
committed = (here / "lalloc.txt.const").read_text()
if generated != committed:
    problems.append("lalloc.txt.const is not what consts.c computes from the header (regenerate it)")
const_names = {l.split(" = ")[0] for l in committed.splitlines() if " = " in l and l != "arches = amd64"}

ints = {"int8": 1, "int16": 2, "int32": 4, "int64": 8, "intptr": 8}
aliases = {m.group(1): m.group(2) for m in re.finditer(r"^type (\w+) (\S+)", txt, re.M)}


def field_size(t):
    t = aliases.get(t, t)
    base = re.match(r"(\w+)", t).group(1)
    if base in ints:
        return ints[base]
    if base in ("ptr64",):
        return 8
    if base in ("const", "flags", "len", "bytesize"):
        return ints[re.search(r",\s*(int\d+)\]", t).group(1)]
    m = re.match(r"array\[(\w+), (\d+)\]$", t)
    if m:
        return ints[m.group(1)] * int(m.group(2))
    if base.startswith("lalloc_handle"):
        return 4    # resource lalloc_handle[int32]
    raise ValueError("unknown type " + t)


for m in re.finditer(r"^(lalloc_\w+) \{\n(.*?)^\}", txt, re.M | re.S):
    name, body = m.group(1), m.group(2)
    size = 0
    for line in body.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(None, 1)
        size += field_size(re.sub(r"\s+\((in|out|inout)\)$", "", fields[1]).strip())
    if name not in c_sizes:
        problems.append(f"{name}: no C struct to compare with")
    elif int(c_sizes[name]) != size:
        problems.append(f"{name}: {size} bytes described, sizeof is {c_sizes[name]}")

for cmd in re.findall(r"#define (LALLOC_IOC_\w+)\s+_IO", header):
    if f"ioctl${cmd}(" not in txt:
        problems.append(f"{cmd}: no ioctl${cmd} description")
for op in re.findall(r"#define (LALLOC_OP_\w+)\s", header):
    if op not in txt:
        problems.append(f"{op}: not among lalloc_batch_ops")

body = re.sub(r"#.*", "", txt)
for name in set(re.findall(r"\b((?:LALLOC|AT)_[A-Z0-9_]+)\b", body)):
    if name not in const_names:
        problems.append(f"{name}: used but not in lalloc.txt.const")

for flagset, nr in (("lalloc_info_cmds", 8), ("lalloc_stats_cmds", 9)):
    values = re.search(rf"^{flagset} = (.*)$", txt, re.M).group(1).split(", ")
    for v in values:
        cmd = int(v, 0)
        if cmd >> 30 != 3 or (cmd >> 8) & 0xFF != 0xBC or cmd & 0xFF != nr or cmd >> 32:
            problems.append(f"{flagset}: {v} is not _IOWR(0xBC, {nr}, size)")

for p in problems:
    print("syzkaller/check.py: " + p)
print(f"syzkaller/check.py: {'FAIL' if problems else 'ok'}: {len(problems)} problems")
sys.exit(1 if problems else 0)
