#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Registry lookup A/B: grt_bench of two revisions, run in alternation.

On a VM whose speed swings from run to run, figures of one binary taken at
different times are not comparable. This builds grt_bench (Release) from two
git revisions (or the working tree, "WORK"), runs them in turn PAIRS times
(A, B, A, B, ...), and prints per case the median (and range) of each side
and the median of the per-pair ratios B/A with its quartiles: a ratio below
1 means B is faster. Not part of `make bench` (it takes minutes per pair).

Usage: bench/grt-ab.py REV_A REV_B [--pairs N] [--args "GRT_BENCH ARGS"]
Output: one line per case,
  grt_ab keys=N threads=T a_ns=X (lo-hi) b_ns=Y (lo-hi) ratio=R (q25-q75)
and for the 2-thread throughput at each key count "grt_ab keys=N scale ...".
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tarfile
import io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(rev, out):
    """Sources of rev (or the working tree for WORK) built into out/build."""
    src = os.path.join(out, "src")
    if rev == "WORK":
        src = ROOT
    else:
        os.makedirs(src, exist_ok=True)
        data = subprocess.run(["git", "-C", ROOT, "archive", rev], check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(src)
    bld = os.path.join(out, "build")
    cache = os.path.join(bld, "CMakeCache.txt")
    if os.path.exists(cache):
        # A build directory configured from another source tree (a revision
        # before, the working tree now, or the reverse) is started afresh.
        with open(cache) as handle:
            if "CMAKE_HOME_DIRECTORY:INTERNAL=" + src + "\n" not in handle.read():
                os.remove(cache)
    subprocess.run(["cmake", "-S", src, "-B", bld, "-DCMAKE_BUILD_TYPE=Release", "-DWM_SANITIZER="],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", bld, "-j2", "--target", "grt_bench"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(bld, "bench", "grt_bench")


def parse(text):
    figures = {}
    for line in text.splitlines():
        m = re.match(r"grt_get keys=(\d+) threads=(\d+) ns_per_get=([\d.]+)", line)
        if m:
            figures[("ns", int(m.group(1)), int(m.group(2)))] = float(m.group(3))
        m = re.match(r"# keys=(\d+): 2 threads .*throughput = ([\d.]+)x", line)
        if m:
            figures[("scale", int(m.group(1)), 2)] = float(m.group(2))
    return figures


def quartiles(values):
    values = sorted(values)

    def at(p):
        k = (len(values) - 1) * p
        f = int(k)
        c = min(f + 1, len(values) - 1)
        return values[f] + (values[c] - values[f]) * (k - f)
    return at(0.25), at(0.75)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev_a")
    parser.add_argument("rev_b")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--args", default="", help="arguments passed to grt_bench (e.g. --reader-fences)")
    opts = parser.parse_args()

    work = os.path.join(ROOT, "build", "grt-ab")
    binaries = []
    for tag, rev in (("a", opts.rev_a), ("b", opts.rev_b)):
        print(f"# building {tag} = {rev}", flush=True)
        binaries.append(build(rev, os.path.join(work, tag)))

    runs = ([], [])
    for pair in range(opts.pairs):
        for side in (0, 1):
            out = subprocess.run([binaries[side]] + opts.args.split(), check=True, capture_output=True, text=True)
            runs[side].append(parse(out.stdout))
        print(f"# pair {pair + 1}/{opts.pairs} done", flush=True)

    cases = sorted(set(runs[0][0]) & set(runs[1][0]), key=lambda k: (k[0] != "ns", k[1], k[2]))
    for case in cases:
        a = [r[case] for r in runs[0] if case in r]
        b = [r[case] for r in runs[1] if case in r]
        ratios = [y / x for x, y in zip(a, b) if x > 0]
        q25, q75 = quartiles(ratios)
        kind, keys, threads = case
        label = f"keys={keys} threads={threads}" if kind == "ns" else f"keys={keys} scale"
        unit = "ns" if kind == "ns" else "x"
        print(f"grt_ab {label} a_{unit}={statistics.median(a):.1f} ({min(a):.1f}-{max(a):.1f}) "
              f"b_{unit}={statistics.median(b):.1f} ({min(b):.1f}-{max(b):.1f}) "
              f"ratio={statistics.median(ratios):.2f} ({q25:.2f}-{q75:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
