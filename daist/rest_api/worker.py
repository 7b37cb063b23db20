"""A Locust worker process for daist: ``python -m daist.rest_api.worker --master HOST:PORT``.

Started by the master for ``[locust] workers = N``; on another machine, start as many as
``[locust] remote_workers`` says, with the master listening on a reachable ``master_bind``::

    DET_USER=admin DET_PASSWORD=... python -m daist.rest_api.worker --master 10.0.0.5:5557

The worker receives the task list and resource values from the master (``daist_spec``) and
the target URL with every spawn; the password never travels: it comes from ``DET_PASSWORD``
here. It exits when the master quits (or, with ``--parent-pid``, when that process is gone).
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
from daist.rest_api.recorder import Recorder
from daist.rest_api.user import UserSpec, build_user_class

PARENT_POLL_S = 1.0


def build_from_message(data: dict) -> type:
    spec = UserSpec(**data, password=os.environ.get("DET_PASSWORD", ""))
    return build_user_class(spec)


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
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    host, _, port = args.master.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"--master needs HOST:PORT, not {args.master!r}")
    recorder = Recorder()
    env = Environment(user_classes=[])
    env.events.request.add_listener(recorder.on_request)
    add_report_hooks(env, recorder, side="worker")
    runner = env.create_worker_runner(host, int(port))
    register_worker_handlers(runner, recorder, build=build_from_message)
    if args.parent_pid:
        gevent.spawn(watch_parent, args.parent_pid, runner)
    freeze_garbage()
    try:
        runner.greenlet.join()
    except KeyboardInterrupt:
        runner.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
