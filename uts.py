#!/usr/bin/env python3
"""Run daist's own tests (uts/): ./uts.py [unittest args]

Makes __venv__ when it is missing, re-executes inside it, and runs every test in uts/ by default.
Arguments go to unittest: module, class or test names (``./uts.py uts.models.test_result``), or a
folder of tests as a package name (``./uts.py uts.db`` runs everything under uts/db), and options
such as ``-v``, ``-f`` or ``-k PATTERN``.
"""
import os
import shutil
import signal
import sys
import tempfile
import unittest
from pathlib import Path

from daist.framework import venv

ROOT = Path(__file__).resolve().parent
JOBS_ENV = "UTS_JOBS"
MAX_DEFAULT_JOBS = 8


def usable_cores() -> int:
    """Cores this process may use: its CPU affinity, and a cgroup v2 quota when one is set (a
    container limited to 2 CPUs on a 64-core host sees 64 in os.cpu_count())."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores or 1)


def default_jobs() -> int:
    """Two workers per core (at most 8): most of a unit's time is spent waiting on fixed-length
    load phases and child processes, not computing."""
    return min(MAX_DEFAULT_JOBS, 2 * usable_cores())


def jobs_of(args: list) -> tuple[int, list]:
    """``-j N`` / ``--jobs N`` (or ``UTS_JOBS``), taken out of the arguments unittest gets."""
    jobs, rest, value = os.environ.get(JOBS_ENV) or default_jobs(), [], None
    for arg in args:
        if value is not None:
            jobs, value = arg, None
        elif arg in ("-j", "--jobs"):
            value = arg
        elif arg.startswith("--jobs="):
            jobs = arg.split("=", 1)[1]
        elif arg.startswith("-j"):
            jobs = arg[2:]
        else:
            rest.append(arg)
    if not str(jobs).isdigit() or int(jobs) < 1:
        print(f"uts: the number of worker processes must be a whole number >= 1, not {jobs!r}",
              file=sys.stderr)
        sys.exit(2)  # a usage error, as unittest's own
    return int(jobs), rest


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

    def runTests(self):
        # the runner is built before unittest has read -v, -f and -b
        self.testRunner.verbosity = self.verbosity
        self.testRunner.failfast = bool(self.failfast)
        self.testRunner.buffer = bool(self.buffer)
        super().runTests()


def main(args: list) -> int:
    from uts.runner import ParallelRunner
    jobs, args = jobs_of(args)
    names = [a for i, a in enumerate(args)
             if not a.startswith("-") and (i == 0 or args[i - 1] != "-k")]  # -k takes a pattern
    argv = [sys.argv[0], *args] if names else [sys.argv[0], "discover", "-s", str(ROOT / "uts"),
                                               "-t", str(ROOT), *args]
    os.chdir(ROOT)
    # Tests interrupt the processes they start with SIGINT. A ./uts.py started in the background
    # by a script inherits SIGINT ignored, and so would every worker and child, which could then
    # not be interrupted; with Python's handler here, they start with the default again.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # Every temporary file of the tests and of the daist runs, stand-ins and trials they start
    # goes under one scratch directory (TMPDIR is inherited), removed after a passing run and
    # kept, with its path printed, after a failing one.
    scratch = tempfile.mkdtemp(prefix="uts-")
    os.environ["TMPDIR"] = tempfile.tempdir = scratch
    try:
        runner = ParallelRunner(jobs=jobs, scratch=scratch)
        program = UtsProgram(module=None, argv=argv, exit=False, testRunner=runner)
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
    if getattr(program.result, "interrupted", False):
        return 130
    return 0 if passed else 1


if __name__ == "__main__":
    if venv.is_active() and venv.is_current():
        sys.exit(main(sys.argv[1:]))
    venv.bootstrap([str(Path(__file__).resolve()), *sys.argv[1:]])
