#!/usr/bin/env python3
"""Run daist's own tests (uts/): ./uts.py [unittest args]

Makes __venv__ when it is missing, re-executes inside it, and runs every test in uts/ by default.
Arguments go to unittest: module, class or test names (``./uts.py uts.models.test_result``), or a
folder of tests as a package name (``./uts.py uts.db`` runs everything under uts/db), and options
such as ``-v``, ``-f`` or ``-k PATTERN``.
"""
import os
import shutil
import sys
import tempfile
import time
import unittest
from pathlib import Path

from daist.framework import venv

ROOT = Path(__file__).resolve().parent
SLOWEST_SHOWN = 10


class TimedTextTestResult(unittest.TextTestResult):
    """Notes each test's wall time, counting the gap since the previous test (class and module
    fixtures run there) towards it, so the slowest list shows where the suite's time goes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.durations: list[tuple[float, str]] = []
        self._mark = time.monotonic()

    def stopTest(self, test):
        now = time.monotonic()
        self.durations.append((now - self._mark, test.id()))
        self._mark = now
        super().stopTest(test)

    def printErrors(self):
        super().printErrors()
        slowest = sorted(self.durations, reverse=True)[:SLOWEST_SHOWN]
        if slowest:
            self.stream.writeln(f"\nThe {len(slowest)} slowest tests (with their fixtures):")
            for seconds, test_id in slowest:
                self.stream.writeln(f"{seconds:8.1f} s  {test_id}")


class TimedTextTestRunner(unittest.TextTestRunner):
    resultclass = TimedTextTestResult


class UtsProgram(unittest.TestProgram):
    """unittest.main where a package name means every test module below it."""

    def createTests(self, from_discovery=False, Loader=None):
        if from_discovery or getattr(self, "testNames", None) is None:
            return super().createTests(from_discovery, Loader)
        if self.testNamePatterns:
            self.testLoader.testNamePatterns = self.testNamePatterns
        suites = []
        for name in self.testNames:
            folder = ROOT.joinpath(*name.split("."))
            if (folder / "__init__.py").is_file():
                suites.append(self.testLoader.discover(str(folder), top_level_dir=str(ROOT)))
            else:
                suites.append(self.testLoader.loadTestsFromName(name))
        self.test = self.testLoader.suiteClass(suites)


def main(args: list) -> int:
    names = [a for a in args if not a.startswith("-")]
    argv = [sys.argv[0], *args] if names else [sys.argv[0], "discover", "-s", str(ROOT / "uts"),
                                               "-t", str(ROOT), *args]
    os.chdir(ROOT)
    # Every temporary file of the tests and of the daist runs, stand-ins and trials they start
    # goes under one scratch directory (TMPDIR is inherited), removed after a passing run and
    # kept, with its path printed, after a failing one.
    scratch = tempfile.mkdtemp(prefix="uts-")
    os.environ["TMPDIR"] = tempfile.tempdir = scratch
    try:
        program = UtsProgram(module=None, argv=argv, exit=False, testRunner=TimedTextTestRunner)
        passed = program.result.wasSuccessful()
    except BaseException:
        passed = False
        raise
    finally:
        if passed:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"uts: temporary files (results directories, logs) kept in {scratch}",
                  file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    if venv.is_active() and venv.is_current():
        sys.exit(main(sys.argv[1:]))
    venv.bootstrap([str(Path(__file__).resolve()), *sys.argv[1:]])
