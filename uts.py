#!/usr/bin/env python3
"""Run daist's own tests (uts/): ./uts.py [unittest args]

Makes __venv__ when it is missing, re-executes inside it, and runs every test in uts/ by default;
arguments go to unittest, e.g. ``./uts.py uts.models.test_result`` or ``./uts.py -v``.
"""
import os
import sys
import unittest
from pathlib import Path

from daist.framework import venv

ROOT = Path(__file__).resolve().parent


def main(args: list[str]) -> int:
    names = [a for a in args if not a.startswith("-")]
    argv = [sys.argv[0], *args] if names else [sys.argv[0], "discover", "-s", str(ROOT / "uts"),
                                               "-t", str(ROOT), *args]
    os.chdir(ROOT)
    program = unittest.main(module=None, argv=argv, exit=False)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    if venv.is_active() and venv.is_current():
        sys.exit(main(sys.argv[1:]))
    venv.bootstrap([str(Path(__file__).resolve()), *sys.argv[1:]])
