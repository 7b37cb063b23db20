#!/usr/bin/env python3
"""Run daist's cluster tests: ./run.py [daist options] [unittest args]

Makes __venv__ when it is missing (or its dependencies changed), re-executes inside it and hands
every argument to ``python -m daist`` (see ``./run.py --help``). Examples:
  ./run.py daist.rest_api.test_locust.TestRO
  DET_MASTER=http://master:8080 ./run.py daist.metrics.test_latency
"""
import sys

from daist.framework import venv

if __name__ == "__main__":
    if venv.is_active() and venv.is_current():
        from daist.app import main
        sys.exit(main(sys.argv[1:]))
    venv.bootstrap(["-m", "daist", *sys.argv[1:]])
