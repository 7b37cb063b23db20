#!/usr/bin/env python3
"""How often ``python -m daist.report compare`` cries wolf, and how often it catches a real
change (prints figures; not a test).

1. Runs: ``--runs`` identical ``TestRO`` runs against the embedded stand-in (A), and as many
   with ``[standin] faults = --latency 40@^/api/v1/agents$`` (B: +40 ms on one endpoint),
   interleaved A B A B so that drift of the machine does not look like a change.
2. Comparisons, with the default thresholds, through the CLI's own code path:
   - one run per side (within-run blocks): every ordered A/A pair (false alarms) and every A/B
     pair (detections: exit 1 *and* ``get agents`` named among the regressions);
   - ``--group`` runs per side (between-run test): disjoint A groups against each other (both
     orders) and against B groups; each group spans the whole series (``strided``).

    __venv__/bin/python benchmarks/compare_calibration.py [--runs 6] [--run-time 20]
        [--group 3] [--work DIR] [--reuse]

``--reuse`` skips step 1 and compares the runs already under ``--work`` (e.g. after a change
of the comparison rule).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daist.report.cli import main as report_main, run_directories  # noqa: E402

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


def judge(base: list[Path], cand: list[Path]) -> tuple[int, str]:
    """(exit status, printed comparison) of ``compare --baseline ... --candidate ...``."""
    argv = ["compare", *itertools.chain.from_iterable(("--baseline", str(p)) for p in base),
            *itertools.chain.from_iterable(("--candidate", str(p)) for p in cand)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = report_main(argv)
    return status, out.getvalue() + err.getvalue()


def regressions_line(text: str) -> str:
    return next((line for line in reversed(text.splitlines()) if line.strip()), "")


def caught(status: int, text: str) -> bool:
    return status == 1 and CHANGED in regressions_line(text)


def strided(runs: list[Path], size: int) -> list[list[Path]]:
    """Groups of ``size`` runs that each span the whole series (run k, k + n, k + 2n...), as a
    CI job interleaving its repeats would make them: drift of the machine over the series
    then falls on every group alike instead of looking like a change between groups."""
    count = len(runs) // size
    return [runs[k::count][:size] for k in range(count)]


def report(label: str, outcomes: list[tuple[int, str]], *, detect: bool) -> None:
    hits = [caught(*o) if detect else o[0] != 0 for o in outcomes]
    rate = sum(hits) / len(hits) if hits else float("nan")
    word = "caught (exit 1, get agents named)" if detect else "false alarms (exit != 0)"
    print(f"{label}: {sum(hits)} of {len(hits)} {word} = {rate:.0%}")
    for status, text in outcomes:
        line = regressions_line(text)
        if (detect and not caught(status, text)) or (not detect and status != 0):
            print(f"    exit {status}: {line[:300]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6, help="runs per side (default 6)")
    parser.add_argument("--run-time", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--group", type=int, default=3, help="runs per side, repeats mode")
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
    a_runs, b_runs = run_directories(a_root), run_directories(b_root)
    print(f"{len(a_runs)} A runs, {len(b_runs)} B runs (B: [standin] faults = {FAULT})")
    started = time.monotonic()
    single_aa = [judge([x], [y]) for x, y in itertools.permutations(a_runs, 2)]
    single_ab = [judge([x], [y]) for x, y in itertools.product(a_runs, b_runs)]
    report("one run per side, A/A", single_aa, detect=False)
    first_six = [judge([x], [y]) for x, y in itertools.permutations(a_runs[:3], 2)]
    report("  of which the 6 ordered pairs of the first 3 A runs", first_six, detect=False)
    report("one run per side, A/B", single_ab, detect=True)
    group = args.group
    a_groups, b_groups = strided(a_runs, group), strided(b_runs, group)
    if len(a_groups) >= 2:
        repeat_aa = [judge(x, y) for x, y in itertools.permutations(a_groups, 2)]
        report(f"{group} runs per side, A/A", repeat_aa, detect=False)
    if a_groups and b_groups:
        repeat_ab = [judge(x, y) for x, y in itertools.product(a_groups, b_groups)]
        report(f"{group} runs per side, A/B", repeat_ab, detect=True)
    print(f"({time.monotonic() - started:.0f} s of comparisons; runs kept in {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
