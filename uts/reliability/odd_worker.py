"""A real Locust worker that misbehaves in one fixed way, for the worker tests of
``test_fail_closed`` (run as ``python -m uts.reliability.odd_worker MODE --master HOST:PORT``):

- ``plain``: Locust's own worker, not daist's: it never says ``daist_hello``;
- ``idle``: daist's handlers and hello, but it ignores ``daist_spec``, so it has no user class
  and starts none of the users it is sent.

It exits when the master quits.
"""
from __future__ import annotations

import argparse
import sys

import daist.engine.locust_import  # noqa: F401  (gevent patching before the rest)

from locust.env import Environment

from daist.engine.distributed import register_worker_handlers
from daist.engine.monitor import GeneratorMonitor


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("plain", "idle"))
    parser.add_argument("--master", required=True)
    args = parser.parse_args()
    host, _, port = args.master.rpartition(":")
    runner = Environment(user_classes=[]).create_worker_runner(host, int(port))
    if args.mode == "idle":
        register_worker_handlers(runner, build=lambda data: None,
                                 monitor=GeneratorMonitor())
    runner.greenlet.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
