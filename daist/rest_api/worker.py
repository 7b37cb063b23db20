"""A Locust worker process for daist:
``python -m daist.rest_api.worker --master HOST:PORT --target URL``.

Started by the master for ``[locust] workers = N``; on another machine, start as many as
``[locust] remote_workers`` says, with the master listening on a reachable ``master_bind``::

    DET_USER=admin DET_PASSWORD=... python -m daist.rest_api.worker --master 10.0.0.5:5557 \
        --target http://det-master:8080

The worker receives the task list and resource values from the master (``daist_spec``); the
password never travels: it comes from ``DET_PASSWORD`` here, and goes only to the Determined
master this worker was started for (``--target``, else ``DET_MASTER``). A Locust master that
asks for load against any other URL is refused: the worker says so and exits with status 2.
It exits when the master quits (or, with ``--parent-pid``, when that process is gone).
"""
from __future__ import annotations

import argparse
import os
import sys

import daist.rest_api.locust_import  # noqa: F401  (gevent patching before anything else)

import gevent
from locust.env import Environment

from daist.rest_api.distributed import add_report_hooks, register_worker_handlers
from daist.rest_api.loadrun import freeze_garbage
from daist.rest_api.monitor import GeneratorMonitor
from daist.rest_api.recorder import Recorder
from daist.rest_api.user import RefusedTarget, UserSpec, build_user_class, same_master
from daist.models.terminal import for_terminal

PARENT_POLL_S = 1.0


EXIT_REFUSED = 2


def check_target(offered: str, target: str) -> None:
    """The Locust master's target URL must be this worker's own."""
    if not same_master(offered, target):
        raise RefusedTarget(f"the Locust master asks for load against {offered}, but this worker "
                            f"logs in only to {target} (--target or DET_MASTER)")


def build_from_message(data: dict, *, target: str) -> type:
    check_target(str(data.get("host", "")), target)
    spec = UserSpec(**{**data, "host": target}, password=os.environ.get("DET_PASSWORD", ""))
    return build_user_class(spec)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m daist.rest_api.worker",
                                     description="A daist Locust worker.")
    parser.add_argument("--master", required=True, metavar="HOST:PORT",
                        help="the daist master's [locust] master_bind address")
    parser.add_argument("--target", metavar="URL",
                        help="the Determined master the users log in to (default: DET_MASTER); "
                             "a Locust master asking for another is refused")
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    host, _, port = args.master.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"--master needs HOST:PORT, not {args.master!r}")
    target = args.target or os.environ.get("DET_MASTER", "")
    if not target:
        parser.error("needs --target URL or DET_MASTER: the only Determined master this worker "
                     "will log in to")
    refused: list[str] = []

    def build(data: dict) -> type | None:
        try:
            return build_from_message(data, target=target)
        except RefusedTarget as exc:
            refused.append(str(exc))
            print(for_terminal(f"daist worker: error: {exc}"), file=sys.stderr, flush=True)
            gevent.spawn(runner.quit)  # not from inside the master's message handler
            return None
    recorder = Recorder()
    env = Environment(user_classes=[])
    env.events.request.add_listener(recorder.on_request)
    add_report_hooks(env, recorder, side="worker")
    runner = env.create_worker_runner(host, int(port))
    monitor = GeneratorMonitor()
    monitor.watch(os.getpid(), role="worker")
    register_worker_handlers(runner, recorder, build=build, monitor=monitor)
    gevent.spawn(sample_usage, monitor)
    if args.parent_pid:
        gevent.spawn(watch_parent, args.parent_pid, runner)
    freeze_garbage()
    try:
        runner.greenlet.join()
    except KeyboardInterrupt:
        runner.quit()
    return EXIT_REFUSED if refused else 0


if __name__ == "__main__":
    sys.exit(main())
