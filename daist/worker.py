"""``python -m daist.worker --master HOST:PORT --target URL``: a daist Locust worker for every
test kind (the load tests and the metric tests); see daist/engine/worker.py and
docs/distributed.md."""
from __future__ import annotations

import sys

from daist.engine import worker
from daist.metrics import worker as metrics_worker
from daist.rest_api import worker as rest_api_worker

BUILDERS = {rest_api_worker.KIND: rest_api_worker.build, metrics_worker.KIND: metrics_worker.build}


def main(argv: list[str] | None = None) -> int:
    return worker.main(argv, prog="python -m daist.worker", builders=BUILDERS)


if __name__ == "__main__":
    sys.exit(main())
