#!/usr/bin/env python3
"""What daist adds per request on the generator, without the network: plain Locust's task and
daist's task (its user class, recorder, answer check) run in one process against a transport
that answers at once with a canned 1.5 KB master-info JSON (geventhttpclient's socket call
replaced, everything above it real: Locust's session, request event and stats). Variants take
turns in every round, so a neighbour's load hits all alike (prints figures; not a test).

  plain Locust            the anchors' FastHttpUser task (benchmarks/locust_plain.py)
  daist                   daist's user: pick, fire, answer check, recorder (bulk-settled)
  daist without <hook>    the same with one hook off: what that hook costs per request
  daist's user alone      neither hook: what the user class itself adds

Also the objects each variant leaves alive per request (tracemalloc; 0: nothing accumulates),
and with ``--profile`` cProfile's top functions of daist's task.

    __venv__/bin/python benchmarks/hot_path_bench.py [--requests 2000] [--rounds 41]
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import daist.engine.locust_import  # noqa: E402,F401  (gevent first)

from geventhttpclient.client import HTTPClient  # noqa: E402
from geventhttpclient.header import Headers  # noqa: E402
from locust.env import Environment  # noqa: E402

from daist.rest_api.recorder import SETTLE_EVERY, Recorder  # noqa: E402
from daist.rest_api.user import UserSpec, build_user_class  # noqa: E402
from locust_targets import LOGIN, MASTER_INFO  # noqa: E402

ANSWERS = {"/api/v1/master": json.dumps(MASTER_INFO).encode(),
           "/api/v1/auth/login": json.dumps(LOGIN).encode()}


class CannedResponse:
    """What geventhttpclient's socket response offers Locust, answered from memory."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self._headers_index = Headers({"content-type": "application/json",
                                       "content-length": str(len(body))})
        self._sent_request = ""
        self.length = len(body)

    def get_code(self) -> int:
        return 200

    def read(self, n: int | None = None) -> bytes:
        return self.body

    def release(self) -> None:
        pass


def canned_request(self: Any, method: str, request_uri: str, body: Any = b"",
                   headers: Any = None) -> CannedResponse:
    return CannedResponse(ANSWERS[request_uri.split("?")[0]])


HOST = "http://127.0.0.1:9"  # never connected to: the socket call is replaced


def plain_task() -> Callable[[], None]:
    from locust_plain import PlainUser
    PlainUser.host = HOST
    env = Environment(user_classes=[PlainUser], host=HOST)
    env.create_local_runner()  # Locust's stats listener
    user = PlainUser(env)
    return user.master


def daist_task(*, without: tuple[str, ...] = ()) -> Callable[[], None]:
    spec = UserSpec(host=HOST, task_names=["get master configuration"], values={},
                    user_name="admin", password="bench",
                    check_every=0 if "check" in without else 10)
    user_class = build_user_class(spec)
    env = Environment(user_classes=[user_class], host=HOST, reset_stats=False)
    recorder = Recorder()
    if "recorder" not in without:
        env.events.request.add_listener(recorder.on_request)
    env.create_local_runner()
    recorder.open_window(time.time())
    user = user_class(env)
    user.on_start()

    def task() -> None:
        user.pick()
        recorder.settle(at_least=SETTLE_EVERY)  # the ticker's bulk filing, counted in
    return task


VARIANTS: dict[str, Callable[[], Callable[[], None]]] = {
    "plain Locust": plain_task,
    "daist": daist_task,
    "daist without the recorder": lambda: daist_task(without=("recorder",)),
    "daist without the check": lambda: daist_task(without=("check",)),
    "daist's user alone": lambda: daist_task(without=("recorder", "check")),
}


def timed(task: Callable[[], None], count: int) -> float:
    """CPU us per request (this process's CPU clock: time spent waiting for a busy machine's
    CPU is not counted)."""
    began = time.process_time()
    for _ in range(count):
        task()
    return 1e6 * (time.process_time() - began) / count


def allocations(task: Callable[[], None], count: int) -> float:
    """Memory blocks alive after ``count`` requests minus before, per request."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(count):
        task()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.count_diff for s in after.compare_to(before, "filename"))
    return grown / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    HTTPClient.request = canned_request
    tasks = {name: make() for name, make in VARIANTS.items()}
    for task in tasks.values():
        timed(task, 2000)  # warm
    gc.collect()
    gc.freeze()  # as LoadRun does
    results: dict[str, list[float]] = {name: [] for name in tasks}
    for index in range(args.rounds):
        order = list(tasks) if index % 2 == 0 else list(tasks)[::-1]
        for name in order:
            results[name].append(timed(tasks[name], args.requests))
    plain = results["plain Locust"]
    print(f"CPU us per request, median [range] of {args.rounds} rounds x {args.requests:,} "
          f"requests (transport answered from memory); the fastest round is the least disturbed "
          f"by a neighbour, so its difference to plain's fastest is shown too:")
    for name, values in results.items():
        print(f"  {name:30} {statistics.median(values):7.2f}  "
              f"[{min(values):.2f} .. {max(values):.2f}]  fastest - plain's "
              f"{min(values) - min(plain):+.2f}")
    print("What daist adds per request (us; paired by round):")
    daist = results["daist"]
    rows = {"all of daist (daist - plain)": [d - p for d, p in zip(daist, plain)]}
    for name in tasks:
        if name.startswith("daist without"):
            rows[f"  {name[len('daist without '):]}"] = [
                d - w for d, w in zip(daist, results[name])]
    rows["  the user alone (- plain)"] = [u - p for u, p in zip(results["daist's user alone"],
                                                                plain)]
    for label, values in rows.items():
        print(f"  {label:30} {statistics.median(values):+7.2f}  "
              f"[{min(values):+.2f} .. {max(values):+.2f}]")
    print("Objects left alive per request (tracemalloc blocks; 0: nothing accumulates):")
    for name, task in tasks.items():
        print(f"  {name:30} {allocations(task, 5000):7.2f}")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(timed, tasks["daist"], args.requests)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
