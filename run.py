#!/usr/bin/env python3
"""Run daist's cluster tests: ./run.py [daist options] [unittest args]

Makes __venv__ when it is missing (or its dependencies changed), re-executes itself inside it and
hands every argument to daist's CLI, as ``python -m daist`` does (see ``./run.py --help``).
Examples:
  ./run.py -t 30s TestRO
  ./run.py -u 50 -r 10 -t 5m -H http://master:8080 daist.rest_api.test_locust.TestRO
"""
import sys

from daist.framework import venv

if __name__ == "__main__":
    if venv.is_active() and venv.is_current():
        from daist.app import main
        sys.exit(main(sys.argv[1:], prog=sys.argv[0]))
    venv.bootstrap([sys.argv[0], *sys.argv[1:]])
