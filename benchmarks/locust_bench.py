#!/usr/bin/env python3
"""What daist's Locust machinery costs: requests/s per generator core against one fixed target,
next to plain Locust and wrk in the same run (prints figures and ratios; not a test).

Target: nginx serving a static 1.5 KB master-info JSON on 127.0.0.1, one process pinned to the
last CPU. Generators run pinned to CPU 0 (the two-worker row gets CPUs 0 and 1, sharing the
target's core as the anchors did):

  wrk -t1 -c50                  the physical floor of per-request cost
  plain Locust FastHttpUser     50 users, no hooks (benchmarks/locust_plain.py)
  daist                         50 users: daist's user class, HDR recording, progress, CPU watch
  daist, workers = 2            the same through a master and two worker processes
  daist, no answer check        in-process, answers not checked (the reference of the check)
  daist, every answer parsed    in-process, every answer parsed in full (not only a sample)
  plain Locust --processes 2    Locust's own multi-process mode, the reference for the above

Then a fixed-latency endpoint (aiohttp, 10 ms sleep, pinned like nginx): p50 and mean of
wrk -c10 next to daist's exact (HDR) figures and plain Locust's at 10 users; the means split
daist's distance from wrk into what its hooks add and Locust's own timing bias. A row is flagged when the process that should have the
slack sat at >= 80 % of a core: the target in the throughput rows (then the server, not the
generator, set the pace), the generator in the latency rows (then its queueing is in the p50).
Locust's own CPU warning never fires in runs under 20 s.

    __venv__/bin/python benchmarks/locust_bench.py [--duration 10] [--users 50] [--rounds 3]
Needs wrk and nginx (apt-get install -y wrk nginx-light).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from locust_targets import Nginx, SlowTarget  # noqa: E402
PYTHON = sys.executable
SATURATED = 80.0
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Row:
    name: str
    rps: float
    gen_cores: float
    target_cores: float
    p50_ms: float | None = None
    mean_ms: float | None = None
    note: str = ""

    @property
    def per_core(self) -> float:
        return self.rps / self.gen_cores if self.gen_cores > 0 else 0.0


def tree_cpu(process: psutil.Process) -> float:
    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def measure(command: list[str], *, cpus: str, target: psutil.Process, duration: float,
            settle: float) -> tuple[str, float, float]:
    """Run ``command`` pinned to ``cpus``; CPU of its tree and of the target as steady-state
    slopes from ``settle`` s after the start to 1 s before the expected end."""
    process = subprocess.Popen(["taskset", "-c", cpus, *command], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    watched = psutil.Process(process.pid)
    time.sleep(settle)
    gen0, tgt0, wall0 = tree_cpu(watched), tree_cpu(target), time.monotonic()
    time.sleep(max(1.0, duration - settle - 1.0))
    gen1, tgt1, wall1 = tree_cpu(watched), tree_cpu(target), time.monotonic()
    output, _ = process.communicate(timeout=duration + 60)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}):\n{output[-2000:]}")
    wall = wall1 - wall0
    return output, (gen1 - gen0) / wall, (tgt1 - tgt0) / wall


def wrk_row(url: str, *, connections: int, duration: float, target: psutil.Process,
            name: str) -> Row:
    output, gen, tgt = measure(["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency",
                                url], cpus="0", target=target, duration=duration, settle=2.0)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
    scale = UNITS[p50[2]]
    mean = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", output)
    return Row(name, rps, gen, tgt, p50_ms=float(p50[1]) * scale,
               mean_ms=float(mean[1]) * UNITS[mean[2]])


def processes_row(host: str, *, users: int, duration: float, target: psutil.Process,
                  cpus: str) -> Row:
    """Plain Locust's own multi-process mode (``--processes 2``), the reference for daist's
    workers: requests/s over the whole run from its JSON report, CPU as the outside slope."""
    with tempfile.TemporaryDirectory(prefix="daist-bench-") as folder:
        report = Path(folder) / "stats"  # Locust appends ".json"
        command = [str(Path(PYTHON).with_name("locust")), "-f", str(HERE / "locust_plain.py"),
                   "--headless", "-u", str(users), "-r", "1000", "-t", f"{duration:g}s",
                   "--processes", "2", "--only-summary", "--loglevel", "WARNING", "-H", host,
                   "--json-file", str(report)]
        _, gen, tgt = measure(command, cpus=cpus, target=target, duration=duration, settle=3.0)
        entries = json.loads(report.with_suffix(".json").read_text())
    requests = sum(e["num_requests"] for e in entries)
    span = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries)
    return Row("plain Locust --processes 2", requests / span, gen, tgt)


def driver_row(host: str, *, mode: str, users: int, duration: float, target: psutil.Process,
               workers: int = 0, cpus: str = "0", name: str, check_every: int | None = None) -> Row:
    """A Locust generator measured by itself over its steady window (same method for plain
    Locust and daist): window requests over the CPU its processes used in that window."""
    command = [PYTHON, str(HERE / "locust_daist_driver.py"), "--mode", mode, "--host", host,
               "--users", str(users), "--run-time", str(duration), "--workers", str(workers)]
    if check_every is not None:
        command += ["--check-every", str(check_every)]
    output, gen, tgt = measure(command, cpus=cpus, target=target, duration=duration + 3,
                               settle=4.0 if workers else 3.0)
    result = json.loads(output.strip().splitlines()[-1])
    note = ""
    if result.get("generator"):  # daist's own watch covers exactly its window
        note = "own watch: " + ", ".join(f"{u['role']} {u['cpu_percent']:.0f}%"
                                         for u in result["generator"])
    return Row(name, result["rps"], result["cores"] or gen, tgt, p50_ms=result["p50_ms"],
               mean_ms=result["mean_ms"], note=note)


def flag(row: Row, *, latency: bool) -> str:
    if latency and row.gen_cores * 100 >= SATURATED:
        return "INVALID: generator >= 80% CPU"
    if ("workers = 2" in row.name or "--processes 2" in row.name) and row.gen_cores < 1.5:
        return f"INVALID: the 2 workers got {row.gen_cores:.2f} cores (machine busy)"
    if not latency and row.target_cores * 100 >= SATURATED:
        # wrk is meant to outrun the target; a Locust row that does measured the target
        return "target-bound (expected)" if row.name.startswith("wrk") else \
            "INVALID: target >= 80% CPU"
    return "valid"


def print_rows(title: str, rows: list[Row], *, latency: bool) -> None:
    print(f"\n{title}")
    print(f"{'generator':34} {'req/s':>9} {'gen cores':>9} {'req/s/core':>10} {'target':>7} "
          f"{'p50 ms':>7} {'mean ms':>7}  validity")
    for row in rows:
        p50, mean = (f"{v:7.2f}" if v is not None else f"{'-':>7}" for v in (row.p50_ms, row.mean_ms))
        print(f"{row.name:34} {row.rps:9.0f} {row.gen_cores:9.2f} {row.per_core:10.0f} "
              f"{row.target_cores:7.2f} {p50} {mean}  {flag(row, latency=latency)}"
              + (f"  ({row.note})" if row.note else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for tool in ("wrk", "nginx", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install -y wrk nginx-light util-linux")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs at least 2 CPUs (generator and target on their own cores)")
    last_cpu = str((os.cpu_count() or 2) - 1)
    rounds: list[tuple[list[Row], list[Row]]] = []
    for index in range(args.rounds):  # interleaved rounds: a neighbour's load hits all alike
        rounds.append((throughput_rows(args, last_cpu), latency_rows(args, last_cpu)))
        print_rows(f"Round {index + 1}: throughput against nginx (static JSON, CPU {last_cpu}), "
                   f"{args.duration:g} s each", rounds[-1][0], latency=False)
        print_rows(f"Round {index + 1}: latency on a fixed 10 ms endpoint", rounds[-1][1],
                   latency=True)
    ratios = {
        "daist / plain Locust, per core": ([r[0][2].per_core / r[0][1].per_core for r in rounds],
                                           "{:.1%}", "target >= 90%"),
        "plain Locust / wrk, per core": ([r[0][1].per_core / r[0][0].per_core for r in rounds],
                                         "{:.1%}", "anchors: about 9%"),
        "daist / wrk, per core": ([r[0][2].per_core / r[0][0].per_core for r in rounds],
                                  "{:.1%}", ""),
        "daist (answers sampled) / no answer check": ([r[0][2].per_core / r[0][5].per_core
                                                       for r in rounds], "{:.1%}", "per core"),
        "daist every answer parsed / no check": ([r[0][6].per_core / r[0][5].per_core
                                                  for r in rounds], "{:.1%}", "per core"),
        "daist workers = 2 / plain --processes 2": ([r[0][3].rps / r[0][4].rps for r in rounds],
                                                    "{:.1%}", "same layout, same cores"),
        "plain --processes 2 / plain in-process": ([r[0][4].rps / r[0][1].rps for r in rounds],
                                                   "{:.2f}x", "Locust's own scaling here"),
        "daist workers = 2 / in-process": ([r[0][3].rps / r[0][2].rps for r in rounds
                                            if flag(r[0][3], latency=False) == "valid"]
                                           or [float("nan")], "{:.2f}x",
                                           "target >= 1.7x; valid rounds only"),
        "daist p50 - wrk p50 (10 ms), ms": ([r[1][1].p50_ms - r[1][0].p50_ms for r in rounds],
                                            "{:+.2f}", "target within 0.5 ms"),
        "daist mean - plain Locust mean, ms": ([r[1][1].mean_ms - r[1][2].mean_ms for r in rounds],
                                               "{:+.2f}", "what daist's hooks add"),
        "plain Locust mean - wrk mean, ms": ([r[1][2].mean_ms - r[1][0].mean_ms for r in rounds],
                                             "{:+.2f}", "Locust's own timing bias")}
    print(f"\nRatios: median of {args.rounds} rounds [each round]")
    for label, (values, fmt, goal) in ratios.items():
        each = ", ".join(fmt.format(v) for v in values)
        print(f"  {label:40} {fmt.format(statistics.median(values)):>8}  [{each}]"
              + (f"  ({goal})" if goal else ""))
    # Noise from other processes only ever slows a generator down: the best round of each is
    # the closest to its own cost (timeit's rule).
    best = {name: max(r[0][i].per_core for r in rounds) for i, name in
            enumerate(("wrk", "plain", "daist", "two", "processes"))}
    best_rps = {name: max(r[0][i].rps for r in rounds) for i, name in ((2, "daist"), (3, "two"))}
    # (the best workers round is the one that got its two cores)
    print(f"Best round of each: daist / plain Locust per core {best['daist'] / best['plain']:.1%}, "
          f"plain / wrk {best['plain'] / best['wrk']:.1%}, daist / wrk "
          f"{best['daist'] / best['wrk']:.1%}, workers = 2 / in-process "
          f"{best_rps['two'] / best_rps['daist']:.2f}x; per core: wrk {best['wrk']:,.0f}, "
          f"plain {best['plain']:,.0f}, daist {best['daist']:,.0f} req/s")
    invalid = sorted({r.name for t, lat in rounds for r in t
                      if flag(r, latency=False).startswith("INVALID")}
                     | {r.name for t, lat in rounds for r in lat
                        if flag(r, latency=True).startswith("INVALID")})
    print("\nRun " + ("INVALID rows (left out of the ratios where marked): " + ", ".join(invalid)
                      if invalid else "valid"))
    return 0


def throughput_rows(args: argparse.Namespace, last_cpu: str) -> list[Row]:
    with Nginx(cpu=last_cpu) as nginx:
        target = psutil.Process(nginx.pid)
        common = {"users": args.users, "duration": args.duration, "target": target}
        return [wrk_row(nginx.url + "/api/v1/master", connections=50, duration=args.duration,
                        target=target, name="wrk -t1 -c50"),
                driver_row(nginx.url, mode="plain", name="plain Locust FastHttpUser", **common),
                driver_row(nginx.url, mode="daist", name="daist (in-process)", **common),
                driver_row(nginx.url, mode="daist", workers=2, cpus=f"0,{last_cpu}",
                           name="daist, workers = 2", **common),
                processes_row(nginx.url, cpus=f"0,{last_cpu}", **common),
                driver_row(nginx.url, mode="daist", check_every=0, name="daist, no answer check",
                           **common),
                driver_row(nginx.url, mode="daist", check_every=1,
                           name="daist, every answer parsed", **common)]


def latency_rows(args: argparse.Namespace, last_cpu: str) -> list[Row]:
    with SlowTarget(cpu=last_cpu, delay_ms=10.0) as slow:
        target = psutil.Process(slow.pid)
        return [wrk_row(slow.url + "/api/v1/master", connections=10, duration=args.duration,
                        target=target, name="wrk -t1 -c10 (10 ms endpoint)"),
                driver_row(slow.url, mode="daist", users=10, duration=args.duration,
                           target=target, name="daist 10 users (10 ms endpoint)"),
                driver_row(slow.url, mode="plain", users=10, duration=args.duration,
                           target=target, name="plain Locust 10 users (10 ms)")]


if __name__ == "__main__":
    sys.exit(main())
