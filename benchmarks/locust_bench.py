#!/usr/bin/env python3
"""What daist's Locust machinery costs: requests/s per generator core against one fixed target,
next to plain Locust and wrk, in rounds that interleave every generator (a neighbour's load hits
all alike; prints each round, then every ratio's median and range; not a test).

Target: nginx serving a static 1.5 KB master-info JSON on 127.0.0.1, one process pinned to the
last CPU. Generators run pinned to CPU 0 (the two-worker rows get CPUs 0 and 1, sharing the
target's core as the anchors did):

  wrk -t1 -c50                  the physical floor of per-request cost
  plain Locust FastHttpUser     50 users, no hooks (benchmarks/locust_plain.py)
  daist                         50 users: daist's user class, recorder, answer check, ticker
  daist without <hook>          the same with one hook off (recorder, check, ticker): what
                                that hook costs per request, 1/rate with it - 1/rate without
  daist, workers = 2            the same through a master and two worker processes
  plain Locust --processes 2    Locust's own multi-process mode, the reference for the above

Layout (--layout): "paired" (the default) runs the two sides of each comparison at once, both
pinned to the same CPUs, so whatever else loads the machine loads both alike (each then gets
about half of the CPU; the figures are per core); "alternating" runs them one after the other.
Each hook's cost comes from its own pair: daist with it against daist without it.

Then (unless --no-latency) a fixed-latency endpoint (aiohttp, 10 ms sleep, pinned like nginx):
p50 and mean of wrk -c10 next to daist's exact (HDR) figures and plain Locust's at 10 users. A
row is flagged when the process that should have the slack sat at >= 80 % of a core: the
target in the throughput rows, the generator in the latency rows. Locust's rows alternate
their order from round to round. Each round prints the 1-minute load average it started at.

    __venv__/bin/python benchmarks/locust_bench.py [--duration 8] [--users 50] [--rounds 5]
Needs wrk and nginx (apt-get install -y wrk nginx-light).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from locust_targets import Nginx, SlowTarget  # noqa: E402
PYTHON = sys.executable
SATURATED = 80.0
SAMPLE_S = 0.5
PROCESSES_STARTUP_S = 10.0
"""How much longer than its run time ``locust --processes 2`` may take (its start-up: 3-13 s
at a load average of 10-25)."""
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
    invalid: str = ""
    """Why the row measured nothing comparable (empty: it did)."""
    span: tuple[float, float] | None = None
    """When its load ran (unix s), if it knows: its CPU is then read over that span."""
    shared: int = 1
    """Generators that ran at once on the same CPUs (paired layout: 2)."""

    @property
    def per_core(self) -> float:
        return self.rps / self.gen_cores if self.gen_cores > 0 else 0.0


def tree_cpu(process: psutil.Process) -> float:
    total = 0.0
    try:
        tree = [process, *process.children(recursive=True)]
    except psutil.Error:  # it has ended
        return 0.0
    for proc in tree:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


@dataclass
class Job:
    """One generator (or wrk) to run: its command, CPUs, how long it runs and how its output
    becomes a ``Row`` (given its CPU and the target's over the steady part)."""
    name: str
    command: list[str]
    cpus: str
    duration: float
    settle: float
    parse: Callable[[str, float, float], Row]
    """(output, generator cores, target cores over the common window) -> the row."""


def run_jobs(jobs: list[Job], *, target: psutil.Process) -> list[Row]:
    """Run ``jobs`` side by side, each pinned to its CPUs; CPU of each tree and of the target
    sampled every ``SAMPLE_S`` until the jobs end, as steady-state slopes from the longest
    settle to 1 s before the shortest expected end (or over the span a row names itself)."""
    processes = [subprocess.Popen(["taskset", "-c", job.cpus, *job.command],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                 for job in jobs]
    samples: list[tuple[float, list[float], float]] = []
    """(unix s, CPU s of each job's tree, the target's CPU s)."""
    try:
        watched = [psutil.Process(process.pid) for process in processes]
        began = time.time()
        deadline = began + max(job.duration for job in jobs) + 60
        while any(process.poll() is None for process in processes) and time.time() < deadline:
            samples.append((time.time(), [tree_cpu(w) for w in watched], tree_cpu(target)))
            time.sleep(SAMPLE_S)
        outputs = [process.communicate(timeout=5)[0] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    settle = max(job.settle for job in jobs)
    window = (began + settle, began + max(settle + 1.0, min(job.duration for job in jobs) - 1.0))
    rows = []
    for index, (job, process, output) in enumerate(zip(jobs, processes, outputs)):
        if process.returncode != 0:
            raise SystemExit(f"{job.name} failed ({process.returncode}):\n{output[-2000:]}")
        row = job.parse(output, *slopes(samples, index, window))
        if row.span is not None:  # the row knows when its load ran: its CPU over just that
            inner = (row.span[0] + SAMPLE_S, row.span[1] - SAMPLE_S)
            if inner[1] - inner[0] < 2.0:
                row = replace(row, invalid="its load ran under 2 s")
            else:
                row = replace(row, **dict(zip(("gen_cores", "target_cores"),
                                              slopes(samples, index, inner))))
        rows.append(replace(row, shared=len(jobs)))
    return rows


def slopes(samples: list[tuple[float, list[float], float]], index: int,
           window: tuple[float, float]) -> tuple[float, float]:
    """CPU per s of job ``index`` and of the target between the first and the last sample
    inside ``window`` (0, 0 with fewer than two)."""
    inside = [sample for sample in samples if window[0] <= sample[0] <= window[1]]
    if len(inside) < 2:
        return 0.0, 0.0
    (t0, gen0, tgt0), (t1, gen1, tgt1) = inside[0], inside[-1]
    return (gen1[index] - gen0[index]) / (t1 - t0), (tgt1 - tgt0) / (t1 - t0)


def wrk_job(url: str, *, connections: int, duration: float, name: str) -> Job:
    def parse(output: str, gen: float, tgt: float) -> Row:
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
        p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
        mean = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", output)
        return Row(name, rps, gen, tgt, p50_ms=float(p50[1]) * UNITS[p50[2]],
                   mean_ms=float(mean[1]) * UNITS[mean[2]])
    return Job(name, ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", url],
               cpus="0", duration=duration, settle=2.0, parse=parse)


def processes_job(host: str, *, users: int, duration: float, cpus: str) -> Job:
    """Plain Locust's own multi-process mode (``--processes 2``), the reference for daist's
    workers: requests/s and CPU both over the span its JSON report gives for its load (first
    to last request). Its start-up (imports, forks, workers connecting) takes 3-13 s on a busy
    machine, so a fixed window saw start-up, not load (requests per core came out 2-4x plain
    in-process's before); the job is given ``PROCESSES_STARTUP_S`` more to end."""
    report = Path(tempfile.mkdtemp(prefix="daist-bench-")) / "stats"  # Locust appends ".json"

    def parse(output: str, gen: float, tgt: float) -> Row:
        entries = json.loads(report.with_suffix(".json").read_text())
        shutil.rmtree(report.parent)
        requests = sum(e["num_requests"] for e in entries)
        if not requests:  # a machine so busy that it sent nothing in its run
            return Row(PROCESSES, 0.0, gen, tgt, note="no request")
        first = min(e["start_time"] for e in entries)
        last = max(e["last_request_timestamp"] for e in entries)
        return Row(PROCESSES, requests / (last - first), gen, tgt, span=(first, last))
    command = [str(Path(PYTHON).with_name("locust")), "-f", str(HERE / "locust_plain.py"),
               "--headless", "-u", str(users), "-r", "1000", "-t", f"{duration:g}s",
               "--processes", "2", "--only-summary", "--loglevel", "WARNING", "-H", host,
               "--json-file", str(report)]
    return Job(PROCESSES, command, cpus=cpus, duration=duration + PROCESSES_STARTUP_S,
               settle=3.0, parse=parse)


def driver_job(host: str, *, mode: str, users: int, duration: float, workers: int = 0,
               cpus: str = "0", name: str, without: tuple[str, ...] = ()) -> Job:
    """A Locust generator measured by itself over its steady window (same method for plain
    Locust and daist): window requests over the CPU its processes used in that window."""
    command = [PYTHON, str(HERE / "locust_daist_driver.py"), "--mode", mode, "--host", host,
               "--users", str(users), "--run-time", str(duration), "--workers", str(workers)]
    for hook in without:
        command += ["--without", hook]

    def parse(output: str, gen: float, tgt: float) -> Row:
        result = json.loads(output.strip().splitlines()[-1])
        note = ""
        if result.get("generator"):  # daist's own watch covers exactly its window
            note = "own watch: " + ", ".join(f"{u['role']} {u['cpu_percent']:.0f}%"
                                             for u in result["generator"])
        return Row(name, result["rps"], result["cores"] or gen, tgt, p50_ms=result["p50_ms"],
                   mean_ms=result["mean_ms"], note=note)
    return Job(name, command, cpus=cpus, duration=duration + 3,
               settle=4.0 if workers else 3.0, parse=parse)


def flag(row: Row, *, latency: bool) -> str:
    if row.rps <= 0:
        return "INVALID: no request"
    if row.invalid:
        return f"INVALID: {row.invalid}"
    if latency and row.gen_cores * 100 >= SATURATED:
        return "INVALID: generator >= 80% CPU"
    if row.name in (TWO, PROCESSES) and row.gen_cores < 1.5 / row.shared:
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


def us_per_request(row: Row) -> float:
    return 1e6 / row.per_core if row.per_core > 0 else float("nan")


def spread(values: list[float], fmt: str) -> str:
    return (f"{fmt.format(statistics.median(values)):>8}  [{fmt.format(min(values))} .. "
            f"{fmt.format(max(values))}]") if values else f"{'-':>8}  (no valid round)"


def summary(rounds: list[dict[str, Row]], latency: list[dict[str, Row]]) -> None:
    valid = [r for r in rounds if all(not flag(row, latency=False).startswith("INVALID")
                                      for row in r.values())]
    print(f"\nMedian [range] of {len(rounds)} rounds ({len(valid)} with every row valid; "
          f"ratios over all rounds, the workers' over rounds where they got their cores)")
    two = [r for r in rounds if flag(r[TWO], latency=False) == "valid"
           and flag(r[PROCESSES], latency=False) == "valid"]
    ratios = {
        "daist / plain Locust, per core": ([r[DAIST].per_core / r[PLAIN].per_core
                                            for r in rounds], "{:.1%}", "target >= 97%"),
        "daist workers = 2 / plain --processes 2": ([r[TWO].rps / r[PROCESSES].rps for r in two],
                                                    "{:.1%}", "target >= 95%"),
        "  the same per core (rounds it measured)": ([r[TWO].per_core / r[PROCESSES].per_core
                                               for r in rounds if r[PROCESSES].per_core > 0
                                               and not r[PROCESSES].invalid],
                                              "{:.1%}", ""),
        "plain Locust / wrk, per core": ([r[PLAIN].per_core / r[WRK].per_core for r in rounds],
                                         "{:.1%}", ""),
        "plain --processes 2 / plain in-process": ([r[PROCESSES].rps / r[PLAIN].rps
                                                    for r in two], "{:.2f}x", ""),
        "daist workers = 2 / daist in-process": ([r[TWO].rps / r[DAIST].rps for r in two],
                                                 "{:.2f}x", "")}
    for label, (values, fmt, goal) in ratios.items():
        print(f"  {label:44} {spread(values, fmt)}" + (f"  ({goal})" if goal else ""))
    print("Per-request CPU (us; 1e6 / requests per core):")
    for name in (WRK, PLAIN, DAIST, *(n for hook in HOOKS for n in (BESIDE[hook], WITHOUT[hook]))):
        print(f"  {name:44} {spread([us_per_request(r[name]) for r in rounds], '{:.1f}')}")
    print("What daist adds per request (us), each side by side with its reference:")
    added = {"all of daist (daist - plain Locust)": [us_per_request(r[DAIST])
                                                     - us_per_request(r[PLAIN]) for r in rounds]}
    for hook in HOOKS:
        added[f"  the {hook} (with it - without it)"] = [
            us_per_request(r[BESIDE[hook]]) - us_per_request(r[WITHOUT[hook]]) for r in rounds]
    for label, values in added.items():
        goal = "  (target <= 3 us)" if label.startswith("all") else ""
        print(f"  {label:44} {spread(values, '{:+.1f}')}{goal}")
    if latency:
        print("On the 10 ms endpoint (ms):")
        for label, values in {
                "daist p50 - wrk p50": [r[LAT_DAIST].p50_ms - r[LAT_WRK].p50_ms for r in latency],
                "daist mean - plain Locust mean": [r[LAT_DAIST].mean_ms - r[LAT_PLAIN].mean_ms
                                                   for r in latency],
                "plain Locust mean - wrk mean": [r[LAT_PLAIN].mean_ms - r[LAT_WRK].mean_ms
                                                 for r in latency]}.items():
            print(f"  {label:44} {spread(values, '{:+.2f}')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--layout", choices=("paired", "alternating"), default="paired",
                        help="paired: the two sides of a comparison run at once on the same "
                             "CPUs; alternating: one after the other")
    parser.add_argument("--no-latency", action="store_true",
                        help="skip the rows on the fixed 10 ms endpoint")
    args = parser.parse_args()
    for tool in ("wrk", "nginx", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install -y wrk nginx-light util-linux")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs at least 2 CPUs (generator and target on their own cores)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the targets' clean-up still runs
    last_cpu = str((os.cpu_count() or 2) - 1)
    rounds: list[dict[str, Row]] = []
    latency: list[dict[str, Row]] = []
    loads = []
    for index in range(args.rounds):
        loads.append(os.getloadavg()[0])
        rows = throughput_rows(args, last_cpu, flip=index % 2 == 1)
        rounds.append({row.name: row for row in rows})
        print_rows(f"Round {index + 1} (load average {loads[-1]:.1f}; {args.layout}): throughput "
                   f"against nginx (static JSON, CPU {last_cpu}), {args.duration:g} s each",
                   rows, latency=False)
        if not args.no_latency:
            rows = latency_rows(args, last_cpu)
            latency.append({row.name: row for row in rows})
            print_rows(f"Round {index + 1}: latency on a fixed 10 ms endpoint", rows,
                       latency=True)
    summary(rounds, latency)
    loads.append(os.getloadavg()[0])
    print(f"\nLoad average (1 min) at each round's start and at the end: "
          f"{', '.join(f'{v:.1f}' for v in loads)} on {os.cpu_count()} CPUs")
    return 0


WRK, PLAIN, DAIST = "wrk -t1 -c50", "plain Locust FastHttpUser", "daist (in-process)"
HOOKS = ("recorder", "check", "ticker")
WITHOUT = {hook: f"daist without the {hook}" for hook in HOOKS}
BESIDE = {hook: f"daist (beside the {hook} row)" for hook in HOOKS}
"""Each hook's reference: daist with every hook, measured in the same pair."""
TWO, PROCESSES = "daist, workers = 2", "plain Locust --processes 2"
LAT_WRK, LAT_DAIST, LAT_PLAIN = ("wrk -t1 -c10 (10 ms endpoint)", "daist 10 users (10 ms)",
                                 "plain Locust 10 users (10 ms)")


def throughput_rows(args: argparse.Namespace, last_cpu: str, *, flip: bool) -> list[Row]:
    """wrk alone, then each comparison: plain and daist; daist with and without each hook; the
    two-process layouts. Which side starts first flips every other round."""
    with Nginx(cpu=last_cpu) as nginx:
        target = psutil.Process(nginx.pid)
        common = {"users": args.users, "duration": args.duration}
        two_cpus = f"0,{last_cpu}"

        def daist(name: str = DAIST, **options) -> Job:
            return driver_job(nginx.url, mode="daist", name=name, **common, **options)
        pairs = [(driver_job(nginx.url, mode="plain", name=PLAIN, **common), daist()),
                 *((daist(BESIDE[hook]), daist(WITHOUT[hook], without=(hook,)))
                   for hook in HOOKS),
                 (processes_job(nginx.url, cpus=two_cpus, **common),
                  daist(TWO, workers=2, cpus=two_cpus))]
        rows = run_jobs([wrk_job(nginx.url + "/api/v1/master", connections=50,
                                 duration=args.duration, name=WRK)], target=target)
        for pair in pairs:
            pair = pair[::-1] if flip else pair
            rows += run_jobs(list(pair), target=target) if args.layout == "paired" else \
                [row for job in pair for row in run_jobs([job], target=target)]
        return rows


def latency_rows(args: argparse.Namespace, last_cpu: str) -> list[Row]:
    with SlowTarget(cpu=last_cpu, delay_ms=10.0) as slow:
        target = psutil.Process(slow.pid)
        jobs = [wrk_job(slow.url + "/api/v1/master", connections=10, duration=args.duration,
                        name=LAT_WRK),
                driver_job(slow.url, mode="daist", users=10, duration=args.duration,
                           name=LAT_DAIST),
                driver_job(slow.url, mode="plain", users=10, duration=args.duration,
                           name=LAT_PLAIN)]
        return [row for job in jobs for row in run_jobs([job], target=target)]


if __name__ == "__main__":
    sys.exit(main())
