#!/usr/bin/env python3
"""What the unmanaged metric generator adds on top of the server's time, per report: the old
generator (a multiprocessing pool of asyncio processes, kept as benchmarks/
reference_metric_generator.py) beside the new one (each trial a Locust user on daist.engine,
in-process and on 2 local workers), in one run against one fixed-latency target.

The target (aiohttp in its own process) answers every metric POST and every time-series read
after exactly ``--delay-ms``; a report is readable once its POST was answered; trial creation,
start and end answer at once. Since the server's time is known, what the generator measures
beyond it is daist's overhead: ``write - delay`` per report, and ``visible - 2 x delay`` (one
POST, then at least one read). Also printed: the generator processes' CPU (peak process, % of
a core; >= 80 % makes a level invalid), their memory (RSS summed) and the target's CPU. Each
measurement runs in a process of its own (the new engine patches its process with gevent).
Last, ``--big`` trials with ``--big-think-s`` between reports run through 2 local workers against
the embedded stand-in (benchmarks/big_trials_run.py: reports done, overhead over the stand-in's
own time, each process's CPU, RSS and event-loop lag), or against the fixed-latency target
(``--big-target fixed``).

    __venv__/bin/python benchmarks/metrics_generator.py [--delay-ms 200] [--reports 5]
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import os
import subprocess
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from benchmarks import big_trials_run  # noqa: E402


def _serve(port: int, delay_s: float) -> None:
    from aiohttp import web

    reported: dict[int, set[int]] = {}
    chunks: list[dict] = []

    async def post_metrics(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(delay_s)
        trial_id = int(request.match_info["trial"])
        metrics = body["metrics"]
        if body["group"] == "training":
            reported.setdefault(trial_id, set()).add(int(metrics["stepsCompleted"]))
        else:
            chunks.append(metrics["metrics"]["avgMetrics"])
        return web.json_response({})

    async def time_series(request: web.Request) -> web.Response:
        await asyncio.sleep(delay_s)
        trial_id = int(request.query["trialIds"])
        steps = int(request.query["startBatches"])
        data = [{"batches": steps}] if steps in reported.get(trial_id, ()) else []
        return web.json_response({"trials": [{"metrics": [{"group": "training", "data": data}]}]})

    async def patch_trial(request: web.Request) -> web.Response:
        return web.json_response({"trial": {}})

    made = [0]

    async def create_trial(request: web.Request) -> web.Response:
        made[0] += 1
        return web.json_response({"trial": {"id": made[0]}})

    async def start_trial(request: web.Request) -> web.Response:
        return web.json_response({"trialRunId": 1})

    async def login(request: web.Request) -> web.Response:
        return web.json_response({"token": "bench"})

    async def get_chunks(request: web.Request) -> web.Response:
        out = list(chunks)
        chunks.clear()
        reported.clear()
        return web.json_response(out)

    app = web.Application()
    app.add_routes([web.post("/api/v1/trials/{trial}/metrics", post_metrics),
                    web.get("/api/v1/trials/time-series", time_series),
                    web.patch("/api/v1/trials/{trial}", patch_trial),
                    web.post("/api/v1/trials", create_trial),
                    web.post("/api/v1/trials/{trial}/start", start_trial),
                    web.post("/api/v1/auth/login", login),
                    web.get("/bench/chunks", get_chunks)])
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=4096)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"the fixed-latency target did not listen on {port} within {timeout:g} s")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _old(url: str, args: argparse.Namespace) -> dict:
    from benchmarks.reference_metric_generator import Plan, TrialRun, drive

    runs = [TrialRun(trial_id=i + 1, run_id=1) for i in range(args.trials)]
    plan = Plan(num_batches=args.reports, metric_count=args.metrics, visible_timeout=120)
    usage = drive(url, "bench", runs, plan, processes=args.processes, timeout=1800)
    failed = [e for u in usage for e in u.errors]
    if failed:
        raise SystemExit(f"{len(failed)} trials failed: {failed[0]}")
    return {"cpu": max(u.cpu_percent for u in usage), "rss_mb": None,
            "processes": len(usage)}


def _new(url: str, args: argparse.Namespace) -> dict:
    from daist.metrics.trial_user import TrialSpec
    from daist.metrics.trials_run import TrialsRun
    from daist.models.config import LocustSettings

    spec = TrialSpec(host=url, experiment_id=1, num_batches=args.reports,
                     metric_count=args.metrics, visible_timeout=120, think_s=args.think_s)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"metrics_generator-{os.getpid()}"
    logs.mkdir(exist_ok=True)
    run = TrialsRun(spec=spec, token="bench", trials=args.trials,
                    locust=LocustSettings(workers=args.workers, worker_wait=300), user="bench",
                    password="bench", timeout=3600, log_dir=logs if args.workers else None)
    driven = run.run()
    failures = driven.tally.failures()
    if failures:
        raise SystemExit(f"trials failed: {failures[0]}")
    return {"cpu": max(u.cpu_percent for u in driven.usage if u.role != "master"),
            "rss_mb": round(sum(u.rss_mb for u in driven.usage), 1),
            "processes": len(driven.usage), "reports_done": driven.reports,
            "usage": [dataclasses.asdict(u) for u in driven.usage]}


def _one(args: argparse.Namespace) -> int:
    """One measurement, in this process: prints a JSON line of figures."""
    import urllib.request

    url = f"http://127.0.0.1:{args.port}"
    started = time.perf_counter()
    figures = (_old if args.one == "old" else _new)(url, args)
    figures["wall_s"] = round(time.perf_counter() - started, 1)
    with urllib.request.urlopen(f"{url}/bench/chunks", timeout=120) as answer:
        chunks = json.load(answer)
    write = [w for c in chunks for w in c["write_ms"]]
    visible = [v for c in chunks for v in c["visible_ms"]]
    if len(write) != args.trials * args.reports:
        raise SystemExit(f"{len(write)} of {args.trials * args.reports} reports measured")
    over = [w - args.delay_ms for w in write]
    vis_over = [v - 2 * args.delay_ms for v in visible]
    figures.update(reports=len(write), over_p50=statistics.median(over),
                   over_p95=_percentile(over, .95), vis_p50=statistics.median(vis_over),
                   vis_p95=_percentile(vis_over, .95))
    print(json.dumps(figures), flush=True)
    return 0


def _measure(args: argparse.Namespace, port: int, target: psutil.Process, engine: str,
             trials: int, **extra: object) -> dict:
    command = [sys.executable, __file__, "--one", engine, "--port", str(port),
               "--trials", str(trials), "--delay-ms", str(args.delay_ms),
               "--reports", str(extra.get("reports", args.reports)),
               "--metrics", str(args.metrics), "--processes", str(args.processes),
               "--workers", str(extra.get("workers", 0)),
               "--think-s", str(extra.get("think_s", 0.0))]
    cpu0, wall0 = sum(target.cpu_times()[:2]), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=7200)
    if done.returncode != 0:
        raise SystemExit(f"{engine} at {trials} trials failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["target_cpu"] = 100 * (sum(target.cpu_times()[:2]) - cpu0) / \
        (time.perf_counter() - wall0)
    return figures


def _row(label: str, trials: int, f: dict) -> str:
    rss = "-" if f["rss_mb"] is None else f"{f['rss_mb']:.0f}"
    return (f"{label:<22} {trials:>6} {f['reports']:>7} {f['over_p50']:>9.2f} {f['over_p95']:>8.2f} "
            f"{f['vis_p50']:>9.2f} {f['vis_p95']:>8.2f} {f['cpu']:>7.0f}% {rss:>7} "
            f"{f['target_cpu']:>9.0f}% {f['wall_s']:>7.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=200.0)
    parser.add_argument("--reports", type=int, default=5)
    parser.add_argument("--metrics", type=int, default=8)
    parser.add_argument("--levels", default="10,100,1000")
    parser.add_argument("--processes", type=int, default=2,
                        help="the old generator's processes")
    parser.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--think-s", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--big", type=int, default=10_000,
                        help="trials of the last run (2 local workers); 0 skips it")
    parser.add_argument("--big-reports", type=int, default=3)
    parser.add_argument("--big-think-s", type=float, default=100.0)
    parser.add_argument("--big-spawn-rate", type=float, default=50.0,
                        help="trials started per second in the --big run against the stand-in "
                             "(it carries ~700 metric POSTs/s here; the default 200/s of 2 "
                             "workers overran it: 16 s p50, 13,000 calls timed out)")
    parser.add_argument("--big-target", choices=("standin", "fixed"), default="standin")
    parser.add_argument("--one", choices=("old", "new", "standin"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trials", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one == "standin":
        print(json.dumps(big_trials_run.run(args.url, args)), flush=True)
        return 0
    if args.one:
        return _one(args)
    delay_s = args.delay_ms / 1000
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port, delay_s),
                                                           daemon=True)
    server.start()
    try:
        _wait_listening(port)
        target = psutil.Process(server.pid)
        print(f"fixed-latency target: {args.delay_ms:g} ms per call; {args.reports} reports of "
              f"{args.metrics} metrics per trial; load average {os.getloadavg()[0]:.0f} on "
              f"{os.cpu_count()} CPUs")
        print(f"{'generator':<22} {'trials':>6} {'reports':>7} {'over p50':>9} {'p95':>8} "
              f"{'vis-2d p50':>9} {'p95':>8} {'gen CPU':>8} {'RSS MB':>7} {'target CPU':>10} "
              f"{'wall s':>7}")
        for trials in (int(x) for x in args.levels.split(",") if x):
            old = _measure(args, port, target, "old", trials)
            print(_row(f"old ({args.processes} processes)", trials, old), flush=True)
            new = _measure(args, port, target, "new", trials)
            print(_row("new (in-process)", trials, new), flush=True)
            two = _measure(args, port, target, "new", trials, workers=2)
            print(_row("new (2 local workers)", trials, two), flush=True)
            print(f"{'':<22} {'':>6} ratio new/old overhead p50: in-process "
                  f"{_ratio(new, old)}, 2 workers {_ratio(two, old)}", flush=True)
        if args.big and args.big_target == "standin":
            big_trials_run.print_figures(big_trials_run.measure(
                sys.executable, __file__, args, trials=args.big), args)
        elif args.big:
            big = _measure(args, port, target, "new", args.big, workers=2,
                           reports=args.big_reports, think_s=args.big_think_s)
            print(f"{args.big} trials, {args.big_reports} reports each, {args.big_think_s:g} s "
                  f"think time, 2 local workers:")
            print(_row("new (2 local workers)", args.big, big))
            print(f"reports done {big['reports_done']} of {args.big * args.big_reports}")
            for u in big["usage"]:
                print(f"  {u['role']:<7} pid {u['pid']:>7}: CPU {u['cpu_percent']:5.1f}% "
                      f"(peak {u['cpu_max_percent']:5.1f}%), RSS {u['rss_mb']:6.0f} MB, loop lag "
                      f"p99 {u['loop_lag_p99_ms']:7.1f} ms max {u['loop_lag_max_ms']:7.1f} ms, "
                      f"longest full gc {u['full_gc_max_ms']:6.1f} ms")
        print(f"overhead = measured - the target's fixed {args.delay_ms:g} ms; gen CPU = the "
              "busiest generator process; RSS = all generator processes (old: not measured)")
    finally:
        server.terminate()
        server.join(10)
    return 0


def _ratio(new: dict, old: dict) -> str:
    return f"{new['over_p50'] / old['over_p50']:.2f}x" if old["over_p50"] > 0 else "-"


if __name__ == "__main__":
    sys.exit(main())
