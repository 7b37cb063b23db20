#!/usr/bin/env python3
"""How often ``python -m daist.report compare`` cries wolf, and how often it catches a real
change, at every split of runs per side (prints figures; not a test).

1. Runs: ``--runs`` identical ``TestRO`` runs against the embedded stand-in (A), and as many
   with ``[standin] faults = --latency 40@^/api/v1/agents$`` (B: +40 ms on one endpoint of
   ~1-5 ms), interleaved A B A B so that drift of the machine does not look like a change (on
   a shared machine some runs are made beside other load).
2. Comparisons, with the default thresholds and the comparison's own code (``compare_runs``,
   refusals as the CLI makes them), at each split (1-1, 2-1, 1-2, 2-2, 3-3, 4-4): ``--draws``
   A/A comparisons of disjoint A runs (false alarms: any regression) and as many A/B
   comparisons (caught: ``get agents`` named among the regressions), the runs of each drawn
   with a fixed seed.

    __venv__/bin/python benchmarks/compare_calibration.py [--runs 10] [--run-time 20]
        [--draws 40] [--work DIR] [--reuse]

``--reuse`` skips step 1 and compares the runs already under ``--work`` (e.g. after a change
of the comparison rule).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daist.report.cli import run_directories  # noqa: E402
from daist.report.compare import compare_runs  # noqa: E402
from daist.report.compare_render import verdict_text  # noqa: E402
from daist.report.loader import RunData, load_run  # noqa: E402

FAULT = "--latency 40@^/api/v1/agents$"
CHANGED = "get agents"
TEST = "daist.rest_api.test_locust.TestRO"


def make_run(root: Path, *, run_time: float, faults: str) -> None:
    env = {**os.environ, "DAIST_EXEC_OUTPUT": str(root), "DAIST_LOCUST_RUN_TIME": str(run_time),
           "DAIST_STANDIN_FAULTS": faults, "DAIST_LOG_STDOUT_LEVEL": "WARNING", "DET_MASTER": ""}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "daist", TEST], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
    print(f"  {'B' if faults else 'A'} run in {time.monotonic() - started:.0f} s: {status}",
          flush=True)


SPLITS = ((1, 1), (2, 1), (1, 2), (2, 2), (3, 3), (4, 4))


def judge(base: list[RunData], cand: list[RunData]) -> tuple[int, str]:
    """(exit status as the CLI decides it, the verdict line) of one comparison."""
    comparison = compare_runs(base, cand)
    if comparison.comparability.refusals:
        return 2, "not comparable: " + "; ".join(comparison.comparability.refusals)
    return (1 if comparison.failed else 0), verdict_text(comparison)


def caught(status: int, line: str) -> bool:
    return status == 1 and CHANGED in line


def draws(pool_a: list, pool_b: list | None, split: tuple[int, int], count: int,
          rng: random.Random) -> list[tuple[list, list]]:
    """``count`` (baseline, candidate) groups: disjoint A runs (A/A), or A against B runs."""
    found: list[tuple[list, list]] = []
    seen = set()
    for _ in range(count * 50):
        if len(found) == count:
            break
        if pool_b is None:
            picked = rng.sample(range(len(pool_a)), split[0] + split[1])
            key = (tuple(picked[:split[0]]), tuple(picked[split[0]:]))
            pair = [pool_a[i] for i in key[0]], [pool_a[i] for i in key[1]]
        else:
            key = (tuple(rng.sample(range(len(pool_a)), split[0])),
                   tuple(rng.sample(range(len(pool_b)), split[1])))
            pair = [pool_a[i] for i in key[0]], [pool_b[i] for i in key[1]]
        if key not in seen:
            seen.add(key)
            found.append(pair)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per side (default 10)")
    parser.add_argument("--run-time", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--draws", type=int, default=40, help="comparisons per split and kind")
    parser.add_argument("--work", type=Path, help="where the runs go (default: a temp dir)")
    parser.add_argument("--reuse", action="store_true", help="compare the runs under --work")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="daist-calibration-"))
    a_root, b_root = work / "A", work / "B"
    if not args.reuse:
        print(f"making {args.runs} A and {args.runs} B runs of {args.run_time:g} s in {work}")
        for _ in range(args.runs):
            make_run(a_root, run_time=args.run_time, faults="")
            make_run(b_root, run_time=args.run_time, faults=FAULT)
    a_runs = [load_run(p, figures=False) for p in run_directories(a_root)]
    b_runs = [load_run(p, figures=False) for p in run_directories(b_root)]
    print(f"{len(a_runs)} A runs, {len(b_runs)} B runs (B: [standin] faults = {FAULT})\n")
    print("| runs per side (baseline-candidate) | A/A: false alarms | A/B (+40 ms on `get agents`): "
          "caught and named |")
    print("|---|---|---|")
    started = time.monotonic()
    misses = []
    for split in SPLITS:
        if sum(split) > len(a_runs) or split[1] > len(b_runs):
            print(f"| {split[0]}-{split[1]} | too few runs | too few runs |")
            continue
        rng = random.Random(f"{split}")
        same = [judge(*pair) for pair in draws(a_runs, None, split, args.draws, rng)]
        changed = [judge(*pair) for pair in draws(a_runs, b_runs, split, args.draws, rng)]
        alarms = sum(status != 0 for status, _ in same)
        hits = sum(caught(*outcome) for outcome in changed)
        print(f"| {split[0]}-{split[1]} | {alarms} of {len(same)} ({alarms / max(1, len(same)):.0%}) "
              f"| {hits} of {len(changed)} ({hits / max(1, len(changed)):.0%}) |", flush=True)
        misses += [f"{split[0]}-{split[1]} A/A exit {s}: {line[:200]}" for s, line in same if s != 0]
        misses += [f"{split[0]}-{split[1]} A/B exit {s}: {line[:200]}" for s, line in changed
                   if not caught(s, line)]
    print(f"\n({time.monotonic() - started:.0f} s of comparisons; runs kept in {work})")
    for line in misses:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
