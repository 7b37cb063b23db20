#!/usr/bin/env python3
"""Wall time of daist's own test suite by number of worker processes (prints figures and ratios;
not a test).

Runs ``./uts.py -j N`` for each N given, one after another on this machine, each against the
same checkout and the same PostgreSQL (when ``UTS_PG_*`` is set), and prints for each: wall
time, CPU time of the run and its children, tests run, the verdict and the ratio to the first
N (the reference, usually 1: plain unittest in one process). With ``--hog`` a ``yes`` process
busies one core for the whole measurement, as a noisy neighbour would.

    python3 benchmarks/suite_time.py --jobs 1,4 [--hog] [--repeat 2] [-- uts args]
"""
from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(jobs: int, uts_args: list[str], log: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([str(ROOT / "uts.py"), "-j", str(jobs), *uts_args], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.monotonic() - started
    log.write_text(done.stdout + done.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    ran = re.findall(r"^Ran (\d+) tests?", done.stderr, flags=re.MULTILINE)
    verdict = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "(no output)"
    return {"jobs": jobs, "wall": wall, "cpu": cpu, "tests": int(ran[-1]) if ran else 0,
            "status": done.returncode, "verdict": verdict, "log": log,
            "failed": re.findall(r"^(?:FAIL|ERROR): (.+)$", done.stderr, flags=re.MULTILINE)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", default="1,4", help="worker counts, the first is the reference")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count")
    parser.add_argument("--hog", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument("uts_args", nargs="*", help="passed to ./uts.py (after --)")
    args = parser.parse_args()
    counts = [int(j) for j in args.jobs.split(",")]
    hog = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) if args.hog else None
    rows = []
    logs = Path(tempfile.mkdtemp(prefix="suite-time-"))
    print(f"each run's full output: {logs}", flush=True)
    try:
        for attempt in range(args.repeat):
            for jobs in counts:
                row = one_run(jobs, args.uts_args, logs / f"j{jobs}-run{attempt + 1}.log")
                rows.append(row)
                print(f"-j {jobs}: {row['wall']:6.1f} s wall, {row['cpu']:6.1f} s CPU, "
                      f"{row['tests']} tests, exit {row['status']}: {row['verdict']}", flush=True)
                for test_id in row["failed"]:
                    print(f"    failed: {test_id} (see {row['log']})", flush=True)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    reference = [r["wall"] for r in rows if r["jobs"] == counts[0]]
    base = sum(reference) / len(reference)
    print(f"\n{'workers':>8} {'runs':>5} {'mean wall s':>12} {'vs -j ' + str(counts[0]):>10}"
          f"{'  (with a CPU hog)' if args.hog else ''}")
    for jobs in counts:
        walls = [r["wall"] for r in rows if r["jobs"] == jobs]
        mean = sum(walls) / len(walls)
        print(f"{jobs:>8} {len(walls):>5} {mean:>12.1f} {base / mean:>9.2f}x")
    return 0 if all(r["status"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
