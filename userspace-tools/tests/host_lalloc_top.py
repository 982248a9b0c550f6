#!/usr/bin/env python3
# Host-side tests of lalloc-top, no module needed: it reads canned
# statistics through --proc-dir. Option checks, then the live view in a
# tmux pane at 200x50, 60x10 and smaller: every line within the width,
# header and footer both shown and apart, rows where they belong; a resize
# redraws the last sample instead of taking a new one; -d refreshes.
# Prints one PASS:/FAIL: line per test; exits 1 if any failed.
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "bin", "lalloc-top")
CACHES_HEADER = ("# name slot align objs_per_slab order cpu_limit active_objs total_objs "
                 "slabs_full slabs_partial slabs_empty pages requested_bytes reserved_bytes "
                 "held_bytes fragmentation_permille utilisation_permille fast_hit_permille "
                 "allocs frees fast_allocs slow_allocs fast_frees slow_frees slabs_allocated "
                 "slabs_freed grow_in_place grow_moved shrink_in_place shrink_moved failures")
FOOTER = " a:active h:held f:frag r:rate s:size  z:all caches  q:quit"
failed = 0


def verdict(ok, name, why=""):
    global failed
    print(("PASS: " if ok else "FAIL: ") + name, flush=True)
    if not ok:
        failed += 1
        for line in why.splitlines():
            print("    " + line, flush=True)


def write_data(d, live_blocks):
    """40 used caches with distinct active counts (a stable sort order)."""
    with open(os.path.join(d, "stats"), "w") as f:
        for name, v in (("requested_bytes", 123456789), ("reserved_bytes", 133456789),
                        ("held_bytes", 150000000), ("held_bytes_hwm", 190000000),
                        ("active_objs", live_blocks), ("allocs", 987654321),
                        ("frees", 987000000), ("failures", 3), ("errors_detected", 12),
                        ("fragmentation_permille", 1081), ("utilisation_permille", 912),
                        ("fast_hit_permille", 977), ("open_files", 7)):
            f.write(f"{name} {v}\n")
    with open(os.path.join(d, "caches"), "w") as f:
        f.write(CACHES_HEADER + "\n")
        for i in range(40):
            slot = 8 * (i + 1)
            active = 100000 + 1000 * i
            vals = [slot, 8, 4096 // slot, 0, 64, active, active + 500, 10, 2, 1, 12,
                    active * slot - 7, active * slot, (active + 500) * slot, 1000, 990,
                    970, 5000000 + i, 4900000, 4800000, 200000, 0, 0, 12, 0, 0, 0, 0, 0, 0]
            f.write(f"lalloc-{slot} " + " ".join(map(str, vals)) + "\n")


def run(*args):
    return subprocess.run([TOP, *args], capture_output=True, text=True, timeout=30)


def test_options(d):
    bad = ["nan", "NaN", "-nan", "inf", "-inf", "infinity", "0", "-1", "0.0005", "1e-9",
           "0.09", "1abc", "1.5s", "", " ", "3601", "1e10", "1e400", "0x"]
    wrong = []
    for v in bad:
        r = run("--proc-dir", d, "-o", "-d", v)
        lines = r.stderr.splitlines()
        if r.returncode != 2 or len(lines) != 1 or r.stdout or "-d" not in lines[0]:
            wrong.append(f"-d {v!r}: exit {r.returncode}, stderr {r.stderr!r}, "
                         f"stdout {len(r.stdout)} bytes")
    verdict(not wrong, "lalloc-top -d refuses non-numbers, non-finite, < 0.1 s, > 3600 s: "
            "one line, exit 2", "\n".join(wrong))
    wrong = []
    for v in ("0.1", "0.25", "1e-1"):
        r = run("--proc-dir", d, "-o", "-d", v)
        if r.returncode or "lalloc-8 " not in r.stdout:
            wrong.append(f"-d {v}: exit {r.returncode}, {r.stderr!r}")
    verdict(not wrong, "lalloc-top -d takes 0.1, 0.25, 1e-1", "\n".join(wrong))
    wrong = []
    for args in (["-s", "bogus"], ["--proc-dir", ""], ["-o", "extra"], ["--bogus"]):
        r = run("--proc-dir", d, *args)
        if r.returncode != 2:
            wrong.append(f"{args}: exit {r.returncode}")
    verdict(not wrong, "lalloc-top refuses a bad sort key, an empty --proc-dir, stray arguments",
            "\n".join(wrong))


class Tmux:
    def __init__(self, tmp):
        self.tmp = tmp
        self.conf = os.path.join(tmp, "tmux.conf")
        with open(self.conf, "w") as f:
            f.write("set -g status off\n")
        self.n = 0
        self.base = None

    def __call__(self, *args):
        return subprocess.run(self.base + list(args), capture_output=True, text=True,
                              timeout=10, env=dict(os.environ, TMUX=""))

    def start(self, w, h, cmd):
        """A server of its own for each view: no race with the last one's exit."""
        if self.base:
            self("kill-server")
        self.n += 1
        self.base = ["tmux", "-S", os.path.join(self.tmp, f"tmux{self.n}.sock"), "-f", self.conf]
        r = self("new-session", "-d", "-s", "t", "-x", str(w), "-y", str(h), cmd)
        assert r.returncode == 0, r.stderr

    def screen(self):
        r = self("capture-pane", "-p", "-t", "t")
        return r.stdout.split("\n")[:-1] if r.stdout.endswith("\n") else r.stdout.split("\n")

    def wait(self, pred, timeout=5.0):
        end = time.monotonic() + timeout
        while True:
            s = self.screen()
            if pred(s) or time.monotonic() > end:
                return s
            time.sleep(0.05)


def expected_screen(once, w, h):
    """What the view must show at w x h: lalloc-top -o's lines, laid out."""
    header, rest = once[:3], once[3:]    # rest: column titles, then rows
    body = header[:max(h - 1, 0)]
    if h > 10:
        body.append("")
    body += rest
    body = body[:max(h - 1, 0)]
    body += [""] * (h - 1 - len(body))
    return [line[:w].rstrip() for line in body + [FOOTER]] if h else []


def check_screen(name, got, once, w, h):
    got = [line.rstrip() for line in got]
    want = expected_screen(once, w, h)
    why = []
    if len(got) != h:
        why.append(f"{len(got)} lines, want {h}")
    why += [f"line {i} is {len(line)} columns wide" for i, line in enumerate(got) if len(line) > w]
    if not got or not got[-1].startswith(FOOTER[:w].rstrip()):
        why.append("no footer on the last line")
    if h >= 2 and not got[0].startswith(" lalloc:"):
        why.append("no header on the first line")
    for i, (g, e) in enumerate(zip(got, want)):
        if g != e:
            why.append(f"line {i}: {g!r}\n   want {e!r}")
    verdict(not why, name, "\n".join(why + ["screen:"] + got))


def test_view(d, tmp):
    if not shutil.which("tmux"):
        verdict(False, "lalloc-top view: tmux is missing (scripts/deps installs it)")
        return
    once = run("--proc-dir", d, "-o", "-d", "0.1").stdout.splitlines()
    tm = Tmux(tmp)
    cmd = f"exec {TOP} --proc-dir {d} -d 3600"
    try:
        for w, h in ((200, 50), (60, 10), (80, 24), (60, 50), (60, 4), (40, 2)):
            tm.start(w, h, cmd)
            s = tm.wait(lambda s: any(line.startswith(FOOTER[:w].rstrip()) for line in s))
            check_screen(f"lalloc-top view at {w}x{h}", s, once, w, h)

        # Resizing redraws the sample on screen: the data changed since it
        # was taken, and -d 3600 takes no other.
        tm.start(200, 50, cmd)
        tm.wait(lambda s: s and s[0].startswith(" lalloc:"))
        write_data(d, 424242)
        for w, h in ((60, 10), (120, 30), (200, 50)):
            tm("resize-window", "-t", "t", "-x", str(w), "-y", str(h))
            s = tm.wait(lambda s, h=h: len(s) == h and s[-1].startswith(FOOTER[:w].rstrip())
                        and s[0].startswith(" lalloc:"))
            time.sleep(0.3)
            s = tm.screen()
            check_screen(f"lalloc-top view resized to {w}x{h}: the last sample redrawn",
                         s, once, w, h)
        # A key redraws the same sample too.
        tm("send-keys", "-t", "t", "s")
        time.sleep(0.5)
        s = tm.screen()
        verdict(s and "424242" not in s[0] and s[5].startswith("lalloc-8 "),
                "lalloc-top: a sort key re-sorts the last sample", "\n".join(s))
        tm("send-keys", "-t", "t", "q")
        end = time.monotonic() + 5
        while tm("has-session", "-t", "t").returncode == 0 and time.monotonic() < end:
            time.sleep(0.05)
        verdict(tm("has-session", "-t", "t").returncode != 0, "lalloc-top: q quits")

        # With -d, new samples do come.
        write_data(d, 1000)
        tm.start(200, 50, f"exec {TOP} --proc-dir {d} -d 0.2")
        tm.wait(lambda s: s and s[0].startswith(" lalloc: 1000 live"))
        write_data(d, 2000)
        s = tm.wait(lambda s: s and s[0].startswith(" lalloc: 2000 live"), timeout=3)
        verdict(s and s[0].startswith(" lalloc: 2000 live"),
                "lalloc-top -d 0.2 refreshes", "\n".join(s))
    finally:
        if tm.base:
            tm("kill-server")


def main():
    if not os.access(TOP, os.X_OK):
        verdict(False, f"lalloc-top: {TOP} not built")
        return 1
    with tempfile.TemporaryDirectory(prefix="lalloc-top-test.") as tmp:
        d = os.path.join(tmp, "proc")
        os.mkdir(d)
        write_data(d, 31337)
        test_options(d)
        test_view(d, tmp)
    return 1 if failed else 0


sys.exit(main())
