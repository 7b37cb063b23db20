"""The runtime of a daist Locust worker process, for any test kind: connect to the master, say
hello, build the user class the master's ``daist_spec`` asks for (through the kind's builder),
watch this process's CPU, and exit when the master quits (or, with ``--parent-pid``, when that
process is gone). The command is ``python -m daist.worker`` (every kind); see docs/distributed.md.

The password never travels: it comes from ``DET_PASSWORD`` here, and goes only to the Determined
master this worker was started for (``--target``, else ``DET_MASTER``). A Locust master that
asks for load against any other URL, or for a kind this worker does not know, is refused: the
worker says so and exits with status 2.
"""
from __future__ import annotations

import os
import sys
from typing import Callable, Mapping

import daist.engine.locust_import  # noqa: F401  (gevent patching before anything else)

import gevent
from locust.env import Environment

from daist.engine.distributed import KIND_KEY, Built, register_worker_handlers
from daist.engine.garbage import freeze_garbage, freeze_when_spawned
from daist.engine.monitor import GeneratorMonitor
from daist.engine.target import RefusedTarget, check_target
from daist.engine.worker_args import argument_parser
from daist.framework.settings import WORKER_STALL_ENV
from daist.models.terminal import for_terminal

PARENT_POLL_S = 1.0
EXIT_REFUSED = 2

Builder = Callable[[dict, str], Built]
"""A kind's builder: (the spec's data without ``kind``, this worker's target) -> its user class
and recorder. ``data["host"]`` has been checked against the target."""


def build_for(data: dict, *, target: str, builders: Mapping[str, Builder]) -> Built:
    data = dict(data)
    kind = data.pop(KIND_KEY, None)
    if kind not in builders:
        raise RefusedTarget(f"the Locust master asks for a {kind!r} user, but this worker runs "
                            f"only {', '.join(sorted(builders))}")
    check_target(str(data.get("host", "")), target)
    return builders[kind](data, target)


def sample_usage(monitor: GeneratorMonitor) -> None:
    """The peak CPU of this worker (its mean needs only the window's ends)."""
    while True:
        gevent.sleep(1.0)
        monitor.sample()


def watch_parent(parent_pid: int, runner) -> None:
    """Local workers must not outlive the daist process that started them."""
    while True:
        gevent.sleep(PARENT_POLL_S)
        if os.getppid() != parent_pid:
            runner.quit()
            return


def main(argv: list[str] | None, *, prog: str, builders: Mapping[str, Builder]) -> int:
    parser = argument_parser(prog)
    args = parser.parse_args(argv)
    host, _, port = args.master.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"--master needs HOST:PORT, not {args.master!r}")
    target = args.target or os.environ.get("DET_MASTER", "")
    if not target:
        parser.error("needs --target URL or DET_MASTER: the only Determined master this worker "
                     "will log in to")
    refused: list[str] = []

    def build(data: dict) -> Built | None:
        try:
            return build_for(data, target=target, builders=builders)
        except RefusedTarget as exc:
            refused.append(str(exc))
            print(for_terminal(f"daist worker: error: {exc}"), file=sys.stderr, flush=True)
            gevent.spawn(runner.quit)  # not from inside the master's message handler
            return None
    env = Environment(user_classes=[])
    runner = env.create_worker_runner(host, int(port))
    monitor = GeneratorMonitor()
    monitor.watch_self(role="worker")
    register_worker_handlers(runner, build=build, monitor=monitor)
    gevent.spawn(sample_usage, monitor)
    if os.environ.get(WORKER_STALL_ENV):
        stall_once(runner, float(os.environ[WORKER_STALL_ENV]))
    if args.parent_pid:
        gevent.spawn(watch_parent, args.parent_pid, runner)
    freeze_garbage()
    freeze_when_spawned(env)
    try:
        runner.greenlet.join()
    except KeyboardInterrupt:
        runner.quit()
    return EXIT_REFUSED if refused else 0


def stall_once(runner, seconds: float) -> None:
    """Test fault: the first worker (Locust's index 0) blocks its event loop for ``seconds``
    (heartbeats included), once, at the first request that ends after this worker started all
    its users: a worker alive but late, as a saturated one is. The master counts it missing
    only 3 s into the stall, by when the other worker's start has reached it. The others go on
    (were all late, Locust would stop the load)."""
    from gevent.monkey import get_original

    started, done = [], []

    def on_started(**kwargs) -> None:
        started.append(True)

    def on_request(**kwargs) -> None:
        if started and not done and runner.worker_index == 0:
            done.append(True)
            print(f"daist worker: fault: stalling the event loop {seconds:g} s", file=sys.stderr,
                  flush=True)
            get_original("time", "sleep")(seconds)
    runner.environment.events.spawning_complete.add_listener(on_started)
    runner.environment.events.request.add_listener(on_request)
