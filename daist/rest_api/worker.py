"""The load tests' side of a daist Locust worker: the user class built from ``daist_spec``.

The worker command is ``python -m daist.worker`` (every kind; docs/distributed.md);
``python -m daist.rest_api.worker`` remains as its alias for the load tests alone.
"""
from __future__ import annotations

import os
import sys

from daist.engine import worker
from daist.engine.distributed import Built
from daist.rest_api.recorder import Recorder
from daist.rest_api.user import UserSpec, build_user_class

KIND = "rest_api"


def build(data: dict, target: str) -> Built:
    spec = UserSpec(**{**data, "host": target}, password=os.environ.get("DET_PASSWORD", ""))
    return Built(build_user_class(spec), Recorder())


def main(argv: list[str] | None = None) -> int:
    return worker.main(argv, prog="python -m daist.rest_api.worker", builders={KIND: build})


if __name__ == "__main__":
    sys.exit(main())
