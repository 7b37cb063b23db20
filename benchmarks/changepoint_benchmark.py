#!/usr/bin/env python3
"""How well ``python -m daist.db changes`` finds the runs where a nightly figure moved, next to
Apache Otava and MongoDB's e-divisive on the same series (prints figures; not a test).

The series: ``--histories`` (300) synthetic nightly p95 histories from a fixed seed, 30-120 runs
each, a third of them flat and the rest with 1-3 steps of 5-50 % up or down (at least 8 runs
apart and 5 from either end), noise of CV 3-20 %, in five noise classes of equal size:

- ``gaussian``: the level times (1 + CV x normal noise);
- ``spikes``: the same with 1-4 single-run spikes of 3-5x;
- ``drift``: the same on a slow linear drift of 5-20 % up or down over the whole history;
- ``machines``: each night on one of two machine types at random, the second 15-60 % slower;
- ``heavy``: heavy-tailed noise, the level times exp(CV x Student-t with 2.5 degrees).

A detection counts when it lies within +-2 runs of a true change not already matched (each
detector reports the first run at the new level); the rest are false alarms. Reported: F1 overall
and per class, and false alarms per 100 runs of the flat histories.

daist sees each night's machine type, as ``python -m daist.db changes`` reads it from the run's
row; the peers see the values alone, as their defaults take them (``daist-blind``: daist on the
values alone too). Each peer runs in a venv of its
own under ``--peers-dir`` (made on first use with pip: their pins conflict with daist's and each
other's), driven by ``benchmarks/changepoint_peer.py`` over the series in a JSON file.

    __venv__/bin/python benchmarks/changepoint_benchmark.py [--peers-dir DIR] [--no-peers]
        [--histories 300] [--seed 20261206]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daist.db.changepoints import detect  # noqa: E402

CLASSES = ("gaussian", "spikes", "drift", "machines", "heavy")
TOLERANCE = 2
"""A detection within this many runs of a true change finds it."""
PEERS = {"otava": "apache-otava==0.8.0", "edivisive": "signal-processing-algorithms==2.1.6"}
"""Each peer's package, pinned to the release measured."""
DRIVER = ROOT / "benchmarks" / "changepoint_peer.py"


@dataclass(frozen=True)
class History:
    noise: str
    values: list[float]
    machines: list[str]
    changes: list[int]
    """The first run at each new level."""


def make_histories(count: int, seed: int) -> list[History]:
    rng = np.random.default_rng(seed)
    return [make_history(CLASSES[i % len(CLASSES)], rng) for i in range(count)]


def make_history(noise: str, rng: np.random.Generator) -> History:
    n = int(rng.integers(30, 121))
    cv = float(rng.uniform(0.03, 0.20))
    steps = int(rng.choice([0, 1, 2, 3], p=[1 / 3, 1 / 3, 1 / 6, 1 / 6]))
    changes = step_positions(n, steps, rng)
    level = np.full(n, float(rng.uniform(5.0, 200.0)))
    for at in changes:
        size = float(rng.uniform(0.05, 0.50))
        level[at:] *= 1 + size if rng.random() < 0.5 else 1 - size
    machines = ["a"] * n
    if noise == "heavy":
        values = level * np.exp(cv * rng.standard_t(2.5, n))
    else:
        values = level * (1 + cv * rng.standard_normal(n))
    if noise == "spikes":
        for at in rng.choice(n, size=int(rng.integers(1, 5)), replace=False):
            values[at] *= rng.uniform(3.0, 5.0)
    elif noise == "drift":
        total = float(rng.uniform(0.05, 0.20)) * (1 if rng.random() < 0.5 else -1)
        values *= 1 + total * np.arange(n) / (n - 1)
    elif noise == "machines":
        slower = float(rng.uniform(1.15, 1.60))
        on_b = rng.random(n) < 0.5
        values[on_b] *= slower
        machines = ["b" if b else "a" for b in on_b]
    values = np.maximum(values, level * 0.01)
    return History(noise, [round(float(v), 4) for v in values], machines, changes)


def step_positions(n: int, steps: int, rng: np.random.Generator) -> list[int]:
    for _ in range(1000):
        picked = sorted(int(x) for x in rng.choice(np.arange(5, n - 4), size=steps, replace=False))
        if all(b - a >= 8 for a, b in zip(picked, picked[1:])):
            return picked
    return step_positions(n, steps - 1, rng)


@dataclass
class Score:
    hits: int = 0
    false_alarms: int = 0
    misses: int = 0
    flat_alarms: int = 0
    flat_runs: int = 0

    def add(self, history: History, found: list[int]) -> None:
        open_changes = list(history.changes)
        for index in sorted(found):
            near = [c for c in open_changes if abs(c - index) <= TOLERANCE]
            if near:
                open_changes.remove(min(near, key=lambda c: abs(c - index)))
                self.hits += 1
            else:
                self.false_alarms += 1
        self.misses += len(open_changes)
        if not history.changes:
            self.flat_alarms += len(found)
            self.flat_runs += len(history.values)

    @property
    def f1(self) -> float:
        return 2 * self.hits / (2 * self.hits + self.false_alarms + self.misses or 1)

    @property
    def per_100_flat(self) -> float:
        return 100 * self.flat_alarms / (self.flat_runs or 1)


def daist_changes(histories: list[History], *, machine_types: bool) -> list[list[int]]:
    return [[c.index for c in detect(h.values, machines=h.machines if machine_types else None)]
            for h in histories]


def peer_changes(name: str, histories: list[History], peers_dir: Path,
                 work: Path) -> list[list[int]]:
    python = peer_python(name, peers_dir)
    series, out = work / "series.json", work / f"{name}.json"
    series.write_text(json.dumps({"series": [h.values for h in histories]}), encoding="utf-8")
    done = subprocess.run([str(python), str(DRIVER), name, str(series), str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    return json.loads(out.read_text(encoding="utf-8"))["changes"]


def peer_python(name: str, peers_dir: Path) -> Path:
    venv = peers_dir / name
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"making {venv} with {PEERS[name]} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        # the base interpreter's venv module: daist's own venv must not leak into the peer's
        subprocess.run([str(python), "-m", "pip", "install", "-q", PEERS[name]], check=True)
    return python


def report(name: str, histories: list[History], found: list[list[int]], seconds: float) -> dict:
    overall, per_class = Score(), {c: Score() for c in CLASSES}
    for history, points in zip(histories, found):
        overall.add(history, points)
        per_class[history.noise].add(history, points)
    return {"name": name, "overall": overall, "classes": per_class, "seconds": seconds}


def print_table(rows: list[dict]) -> None:
    head = ["detector", "F1", *CLASSES, "FA/100 flat", "hits", "false", "missed", "s"]
    print("  ".join(f"{h:>11}" for h in head))
    for row in rows:
        o = row["overall"]
        cells = [row["name"], f"{o.f1:.3f}", *(f"{row['classes'][c].f1:.3f}" for c in CLASSES),
                 f"{o.per_100_flat:.2f}", str(o.hits), str(o.false_alarms), str(o.misses),
                 f"{row['seconds']:.1f}"]
        print("  ".join(f"{c:>11}" for c in cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--peers-dir", type=Path,
                        default=Path(os.environ.get("TMPDIR", tempfile.gettempdir()))
                        / "changepoint-peers")
    parser.add_argument("--no-peers", action="store_true", help="daist alone")
    args = parser.parse_args()
    histories = make_histories(args.histories, args.seed)
    changes = sum(len(h.changes) for h in histories)
    flat = [h for h in histories if not h.changes]
    print(f"{len(histories)} histories (seed {args.seed}), {changes} true changes, "
          f"{len(flat)} flat histories of {sum(len(h.values) for h in flat)} runs; "
          f"a detection counts within +-{TOLERANCE} runs")
    rows = []
    started = time.monotonic()
    rows.append(report("daist", histories, daist_changes(histories, machine_types=True),
                       time.monotonic() - started))
    started = time.monotonic()  # as the peers see the series: the values alone
    rows.append(report("daist-blind", histories, daist_changes(histories, machine_types=False),
                       time.monotonic() - started))
    if not args.no_peers:
        with tempfile.TemporaryDirectory(prefix="changepoints-") as work:
            for name in PEERS:
                started = time.monotonic()
                found = peer_changes(name, histories, args.peers_dir, Path(work))
                rows.append(report(name, histories, found, time.monotonic() - started))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
