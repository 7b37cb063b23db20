#!/usr/bin/env python3
"""What daist's unmanaged metric generator adds on top of the server's time, per report.

A fixed-latency target (aiohttp in its own process: every metric POST and every time-series
read answers after exactly ``--delay-ms``; a report is readable once its POST was answered) is
driven by ``daist.metrics.unmanaged.drive`` at 10, 100 and 1,000 trials. Since the server's
time is known, what the generator measures beyond it is daist's overhead: ``write - delay``
per report, and ``visible - 2 x delay`` (one POST, then at least one read). Also printed: the
generator processes' CPU (>= 80 % of a core would make the level invalid).

    __venv__/bin/python benchmarks/metrics_generator.py [--delay-ms 200] [--reports 5]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from benchmarks.reference_metric_generator import Plan, TrialRun, drive  # noqa: E402

_METRICS = re.compile(r"^/api/v1/trials/(\d+)/metrics$")


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

    async def get_chunks(request: web.Request) -> web.Response:
        out = list(chunks)
        chunks.clear()
        reported.clear()
        return web.json_response(out)

    app = web.Application()
    app.add_routes([web.post("/api/v1/trials/{trial}/metrics", post_metrics),
                    web.get("/api/v1/trials/time-series", time_series),
                    web.patch("/api/v1/trials/{trial}", patch_trial),
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=200.0)
    parser.add_argument("--reports", type=int, default=5)
    parser.add_argument("--metrics", type=int, default=8)
    parser.add_argument("--levels", default="10,100,1000")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    delay_s = args.delay_ms / 1000
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port, delay_s),
                                                           daemon=True)
    server.start()
    try:
        _wait_listening(port)
        url = f"http://127.0.0.1:{port}"
        print(f"fixed-latency target: {args.delay_ms:g} ms per call; {args.reports} reports of "
              f"{args.metrics} metrics per trial; {args.processes} generator processes")
        print(f"{'trials':>7} {'write p50':>10} {'p95':>7} {'overhead p50':>13} {'p95':>7} "
              f"{'visible-2d p50':>15} {'p95':>7} {'gen CPU max':>12} {'target CPU':>11}")
        import urllib.request
        for trials in (int(x) for x in args.levels.split(",")):
            runs = [TrialRun(trial_id=i + 1, run_id=1) for i in range(trials)]
            plan = Plan(num_batches=args.reports, metric_count=args.metrics, visible_timeout=120)
            target = psutil.Process(server.pid)
            cpu0, wall0 = sum(target.cpu_times()[:2]), time.perf_counter()
            usage = drive(url, "bench", runs, plan, processes=args.processes, timeout=600)
            target_cpu = 100 * (sum(target.cpu_times()[:2]) - cpu0) / (time.perf_counter() - wall0)
            failed = [e for u in usage for e in u.errors]
            if failed:
                raise SystemExit(f"{len(failed)} trials failed at {trials}: {failed[0]}")
            with urllib.request.urlopen(f"{url}/bench/chunks", timeout=60) as answer:
                chunks = json.load(answer)
            write = [w for c in chunks for w in c["write_ms"]]
            visible = [v for c in chunks for v in c["visible_ms"]]
            if len(write) != trials * args.reports:
                raise SystemExit(f"{len(write)} of {trials * args.reports} reports measured")
            over = [w - args.delay_ms for w in write]
            vis_over = [v - 2 * args.delay_ms for v in visible]
            cpu = max(u.cpu_percent for u in usage)
            print(f"{trials:>7} {statistics.median(write):>10.2f} {_percentile(write, .95):>7.2f} "
                  f"{statistics.median(over):>13.2f} {_percentile(over, .95):>7.2f} "
                  f"{statistics.median(vis_over):>15.2f} {_percentile(vis_over, .95):>7.2f} "
                  f"{cpu:>11.0f}% {target_cpu:>10.0f}%")
        print(f"overhead = measured - the target's fixed {args.delay_ms:g} ms; a target CPU "
              "near 100% means the target, not the generator, queued the requests")
    finally:
        server.terminate()
        server.join(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
