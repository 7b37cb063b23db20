"""The worker command's arguments (``python -m daist.worker``), apart from the runtime so that
they can be read without importing Locust (which patches the process with gevent)."""
from __future__ import annotations

import argparse


def argument_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="A daist Locust worker.")
    parser.add_argument("--master", required=True, metavar="HOST:PORT",
                        help="the daist master's [locust] master_bind address")
    parser.add_argument("--target", metavar="URL",
                        help="the Determined master the users log in to (default: DET_MASTER); "
                             "a Locust master asking for another is refused")
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    return parser
