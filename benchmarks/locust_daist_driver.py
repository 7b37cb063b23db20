#!/usr/bin/env python3
"""One load generator of benchmarks/locust_bench.py, measured over its steady window (after
spawning and a warm-up): requests in the window and the CPU its processes used meanwhile.

  --mode daist   daist's ``LoadRun``: its user class, HDR recorder, progress and generator
                 watch (and workers when asked), on the catalogue endpoint
                 ``get master configuration``
                 (``--check-every``: how often an answer is parsed in full; 0 no check;
                 ``--without HOOK``: that hook of daist's off, to measure what it costs:
                 ``recorder`` (the request-event listener), ``check`` (the answer check),
                 ``ticker`` (the progress line, generator watch and per-second settling))
  --mode plain   plain Locust: the anchors' FastHttpUser (benchmarks/locust_plain.py) in a
                 bare Environment, no listener of daist's

In-process, the requests are Locust's own count over the window (the same for every row,
also without the recorder) and the CPU this process's clock (as plain's); with workers, the
recorder's count (the master's Locust stats lag the workers' reports by up to 3 s) and the
CPU of daist's own generator watch.

Prints one JSON line: requests, window_s, rps, cores (CPU s per s over the window), p50_ms,
mean_ms.

    python benchmarks/locust_daist_driver.py --mode daist --host URL --users 50 --run-time 10
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import daist.engine.locust_import  # noqa: E402,F401  (gevent first)

import gevent  # noqa: E402

from daist.rest_api.answers import FULL_CHECK_EVERY  # noqa: E402
from daist.rest_api.loadrun import LoadRun  # noqa: E402
from daist.rest_api.plan import LoadPlan  # noqa: E402
from daist.rest_api.user import UserSpec  # noqa: E402


HOOKS = ("recorder", "check", "ticker")


class BenchRun(LoadRun):
    """``LoadRun`` with some of daist's hooks off, counting Locust's requests in the window."""

    def __init__(self, *, without: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.without = set(without)
        self.locust_requests = 0

    def _setup(self) -> None:
        super()._setup()
        if "recorder" in self.without:
            self.env.events.request.remove_listener(self.recorder.on_request)

    def _tick(self) -> None:
        if "ticker" not in self.without:
            super()._tick()

    def _open_window(self) -> None:
        super()._open_window()
        self.cpu0, self.wall0 = time.process_time(), time.monotonic()

    def _close_window(self, *, stop: bool) -> None:
        self.locust_requests = self.env.stats.total.num_requests  # reset when the window opened
        self.cores = (time.process_time() - self.cpu0) / (time.monotonic() - self.wall0)
        super()._close_window(stop=stop)


def run_daist(args: argparse.Namespace) -> dict:
    check_every = 0 if "check" in args.without else args.check_every
    spec = UserSpec(host=args.host, task_names=["get master configuration"], values={},
                    user_name="admin", password="bench", request_timeout=10.0,
                    check_every=check_every)
    plan = LoadPlan(users=args.users, spawn_rate=1000.0, run_time=args.run_time,
                    warmup=args.warmup, stop_timeout=1.0, workers=args.workers)
    load = BenchRun(spec=spec, plan=plan, label="bench", without=args.without)
    load.run()
    entry = load.recorder.entry("get master configuration", "GET", window_s=load.window_s)
    return {"requests": entry.num_requests if args.workers else load.locust_requests,
            "window_s": load.window_s,
            # in-process: this process's CPU clock (exact, as plain's); workers: their watch's
            "cores": sum(u.cpu_percent for u in load.usage) / 100.0 if args.workers
            else load.cores,
            "p50_ms": entry.hdr.p50_ms, "mean_ms": entry.hdr.mean_ms,
            "generator": [u.__dict__ for u in load.usage]}


def run_plain(args: argparse.Namespace) -> dict:
    from locust.env import Environment
    from locust_plain import PlainUser

    PlainUser.host = args.host
    env = Environment(user_classes=[PlainUser], host=args.host)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=1000.0)
    gevent.sleep(args.users / 1000.0 + args.warmup)
    total = env.stats.total
    requests0, time0 = total.num_requests, total.total_response_time
    cpu0, wall0 = time.process_time(), time.monotonic()
    gevent.sleep(args.run_time - args.warmup)
    requests1, time1 = total.num_requests, total.total_response_time
    cpu1, wall1 = time.process_time(), time.monotonic()
    runner.quit()
    return {"requests": requests1 - requests0, "window_s": wall1 - wall0,
            "cores": (cpu1 - cpu0) / (wall1 - wall0),
            "p50_ms": total.get_response_time_percentile(0.5),  # Locust's: whole ms
            "mean_ms": (time1 - time0) / max(1, requests1 - requests0)}  # exact


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("daist", "plain"), default="daist")
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--run-time", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--check-every", type=int, default=FULL_CHECK_EVERY,
                        help="daist: parse every N-th answer in full (0: no answer check)")
    parser.add_argument("--without", action="append", choices=HOOKS, default=[],
                        help="daist: turn this hook off (repeatable)")
    args = parser.parse_args()
    result = run_daist(args) if args.mode == "daist" else run_plain(args)
    result["rps"] = result["requests"] / result["window_s"]
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
