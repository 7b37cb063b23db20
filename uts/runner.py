"""How ``./uts.py`` runs the tests: timed, and spread over worker processes.

A *unit* is what one worker runs start to end: a test class, or a whole module when the module
has module fixtures (``setUpModule``), so every fixture still runs once around its tests. Units
go to ``jobs`` worker processes, the longest expected first (the durations of the last full run,
else the committed ``uts/durations.json``), so the slowest units never start last. Each worker
has its own temporary directory and writes its output there (``worker-<pid>.log``); the console
shows one line per finished unit, then the failures, the totals and the slowest tests.

Part of a unit's time is spent waiting on fixed-length load phases and child processes, which
is why more workers than cores still shortens the suite. The tests hold under that: their
timing and rate assertions leave room for a busy machine (see docs/harness-api.md)."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
import unittest
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOWEST_SHOWN = 10
LAST_DURATIONS = ROOT / ".uts-durations.json"
"""Seconds per unit of the last full run here (not committed)."""
SEED_DURATIONS = ROOT / "uts" / "durations.json"
"""The same, committed: the order of a first run on a clean clone."""
UNIT_MARK = "=== uts unit: "
"""Starts each unit's part of its worker's log."""
OUTPUT_SHOWN = 30
"""Lines of a failed unit's output repeated on the console."""


class Timing:
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


def print_slowest(stream, durations: list[tuple[float, str]]) -> None:
    slowest = sorted(durations, reverse=True)[:SLOWEST_SHOWN]
    if slowest:
        stream.write(f"\nThe {len(slowest)} slowest tests (with their fixtures):\n")
        for seconds, test_id in slowest:
            stream.write(f"{seconds:8.1f} s  {test_id}\n")


class TimedTextTestResult(Timing, unittest.TextTestResult):
    def printErrors(self):
        super().printErrors()
        print_slowest(self.stream, self.durations)


class TimedTextTestRunner(unittest.TextTestRunner):
    resultclass = TimedTextTestResult


# -- units -------------------------------------------------------------------------------------

def flatten(suite: unittest.TestSuite) -> list[unittest.TestCase]:
    tests = []
    for item in suite:
        tests.extend(flatten(item) if isinstance(item, unittest.TestSuite) else [item])
    return tests


def unit_of(test: unittest.TestCase) -> str:
    module_name = type(test).__module__
    module = sys.modules.get(module_name)
    if module is not None and (hasattr(module, "setUpModule") or hasattr(module, "tearDownModule")):
        return module_name
    return f"{module_name}.{type(test).__qualname__}"


def units_of(tests: list[unittest.TestCase]) -> dict[str, list[str]]:
    """Unit name -> test ids, in the order they were found."""
    units: dict[str, list[str]] = {}
    for test in tests:
        units.setdefault(unit_of(test), []).append(test.id())
    return units


def expected_durations(*paths: Path) -> dict[str, float]:
    """Seconds per unit from the first readable file of ``paths``."""
    for path in paths:
        try:
            found = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(found, dict):
            return {str(k): float(v) for k, v in found.items() if isinstance(v, (int, float))}
    return {}


def longest_first(units: dict[str, list[str]], expected: dict[str, float]) -> list[str]:
    """Units never timed count as the longest: they may well be."""
    longest = max(expected.values(), default=0.0)
    return sorted(units, key=lambda name: -expected.get(name, longest))


# -- the worker side ---------------------------------------------------------------------------

class UnitResult(Timing, unittest.TestResult):
    """What one unit's run found, as plain data for the parent process."""

    def outcome(self, unit: str, seconds: float) -> dict:
        def texts(pairs):
            return [(test.id() if hasattr(test, "id") else str(test), text) for test, text in pairs]
        return {"unit": unit, "seconds": seconds, "run": self.testsRun,
                "failures": texts(self.failures), "errors": texts(self.errors),
                "skipped": texts(self.skipped),
                "expected_failures": texts(self.expectedFailures),
                "unexpected_successes": [t.id() for t in self.unexpectedSuccesses],
                "durations": self.durations}


def start_worker(scratch: str) -> None:
    """Each worker: its own temporary directory, its output in a log file there."""
    own = tempfile.mkdtemp(prefix="worker-", dir=scratch)
    os.environ["TMPDIR"] = tempfile.tempdir = own
    log = os.open(Path(scratch) / f"worker-{os.getpid()}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.chdir(ROOT)


def run_unit(unit: str, test_ids: list[str], buffer: bool) -> dict:
    started = time.monotonic()
    print(f"{UNIT_MARK}{unit}", flush=True)
    result = UnitResult()
    result.buffer = buffer
    suite = unittest.defaultTestLoader.loadTestsFromNames(test_ids)
    suite.run(result)
    sys.stdout.flush()
    sys.stderr.flush()
    return result.outcome(unit, time.monotonic() - started)


def unit_output(scratch: Path, unit: str) -> list[str]:
    """The last lines a unit wrote in its worker's log (up to the next unit's mark), for the
    console when it fails: CI keeps the console, not the scratch directory."""
    marker = f"{UNIT_MARK}{unit}"
    for log in sorted(scratch.glob("worker-*.log")):
        try:
            lines = log.read_text(errors="replace").splitlines()
        except OSError:
            continue
        if marker in lines:
            section = lines[lines.index(marker) + 1:]
            ends = [i for i, text in enumerate(section) if text.startswith(UNIT_MARK)]
            return section[:ends[0] if ends else len(section)][-OUTPUT_SHOWN:]
    return []


# -- the parent side ---------------------------------------------------------------------------

@dataclass
class ParallelResult:
    """The totals of every unit, answering ``wasSuccessful`` as a TestResult does."""

    outcomes: list[dict] = field(default_factory=list)
    interrupted: bool = False

    def count(self, key: str) -> int:
        return sum(len(o[key]) for o in self.outcomes)

    @property
    def tests_run(self) -> int:
        return sum(o["run"] for o in self.outcomes)

    def wasSuccessful(self) -> bool:
        return not self.interrupted and not any(map(failed, self.outcomes))


def failed(outcome: dict) -> bool:
    return bool(outcome["failures"] or outcome["errors"] or outcome["unexpected_successes"])


def crashed(unit: str, test_ids: list[str], why: str) -> dict:
    """The outcome of a unit whose run ended in the runner, not in its tests."""
    outcome = UnitResult().outcome(unit, 0.0)
    outcome.update(run=len(test_ids), errors=[(unit, why)])
    return outcome


class ParallelRunner:
    """A unittest runner (``TestProgram`` hands it the suite) that spreads units over workers."""

    def __init__(self, *, jobs: int, scratch: str, verbosity: int = 1, failfast: bool = False,
                 buffer: bool = False, stream=None, duration_files: tuple[Path, Path] =
                 (LAST_DURATIONS, SEED_DURATIONS)):
        self.jobs, self.scratch = jobs, scratch
        self.duration_files = duration_files
        """Where the last run's durations are saved, and the committed ones."""
        self.verbosity, self.failfast, self.buffer = verbosity, failfast, buffer
        self.stream = stream or sys.stderr

    def run(self, suite: unittest.TestSuite):
        # Tests that could not even be loaded (an import error) report here, in this process.
        loadable, unloadable = [], []
        for test in flatten(suite):
            (unloadable if type(test).__module__.startswith("unittest.") else loadable).append(test)
        units = units_of(loadable)
        if self.jobs <= 1 or len(units) <= 1:
            return TimedTextTestRunner(stream=self.stream, verbosity=self.verbosity,
                                       failfast=self.failfast, buffer=self.buffer).run(suite)
        started = time.monotonic()
        result = ParallelResult()
        if unloadable:
            broken = UnitResult()
            unittest.TestSuite(unloadable).run(broken)
            result.outcomes.append(broken.outcome("(tests that could not be loaded)", 0.0))
        expected = expected_durations(*self.duration_files)
        queue = longest_first(units, expected)
        self.stream.write(f"uts: {len(loadable)} tests in {len(units)} units on {self.jobs} "
                          f"worker processes; their output: {self.scratch}/worker-*.log\n")
        try:
            self._run_queue(queue, units, result)
        except KeyboardInterrupt:
            result.interrupted = True
            self.stream.write("\nuts: interrupted\n")
        self._report(result, time.monotonic() - started, total_units=len(units))
        if len(result.outcomes) >= len(units) and result.wasSuccessful():
            self._save_durations(result, units, self.duration_files[0])
        return result

    def _run_queue(self, queue: list[str], units: dict[str, list[str]],
                   result: ParallelResult) -> None:
        """A worker that dies breaks its whole pool, and every unit in flight with it, so no
        one of those can be blamed yet: they run again at the end, each alone in a fresh
        worker, and only the one that kills that worker too is reported as crashed."""
        suspects: list[str] = []
        self._run_pool(queue, units, result, jobs=self.jobs, suspects=suspects)
        for unit in suspects:
            if self.failfast and not result.wasSuccessful():
                break
            self._run_pool([unit], units, result, jobs=1, suspects=None)

    def _run_pool(self, queue: list[str], units: dict[str, list[str]], result: ParallelResult,
                  *, jobs: int, suspects: list[str] | None) -> None:
        executor = self._executor(jobs)
        running: dict[Future, str] = {}
        try:
            while queue or running:
                while queue and len(running) < jobs:
                    unit = queue.pop(0)
                    running[executor.submit(run_unit, unit, units[unit], self.buffer)] = unit
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    unit = running.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if suspects is not None:
                            suspects.append(unit)
                            continue
                        outcome = crashed(unit, units[unit], "the worker process running this "
                                          "unit died; see its worker-*.log")
                    except Exception:  # noqa: BLE001 - the unit's own error, reported as one
                        outcome = crashed(unit, units[unit], traceback.format_exc())
                    self._record(outcome, result, total=len(units), queue=queue)
                if broken:
                    if suspects is not None:
                        suspects.extend(running.values())
                    running.clear()
                    executor.shutdown(wait=True, cancel_futures=True)
                    executor = self._executor(jobs)
        finally:
            executor.shutdown(wait=not running, cancel_futures=True)

    def _executor(self, jobs: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                                   initializer=start_worker, initargs=(self.scratch,))

    def _record(self, outcome: dict, result: ParallelResult, *, total: int,
                queue: list[str]) -> None:
        result.outcomes.append(outcome)
        self._progress(outcome, len(result.outcomes), total)
        if self.failfast and failed(outcome):
            queue.clear()

    def _progress(self, outcome: dict, done: int, total: int) -> None:
        status = "FAIL" if failed(outcome) else "ok"
        skipped = f", {len(outcome['skipped'])} skipped" if outcome["skipped"] else ""
        width = len(str(total))
        self.stream.write(f"[{done:{width}}/{total}] {outcome['seconds']:6.1f} s  {status:4}  "
                          f"{outcome['unit']} ({outcome['run']} tests{skipped})\n")
        if self.verbosity > 1:
            for seconds, test_id in outcome["durations"]:
                self.stream.write(f"{'':{2 * width + 14}}{seconds:6.1f} s  {test_id}\n")
        self.stream.flush()

    def _report(self, result: ParallelResult, seconds: float, *, total_units: int) -> None:
        line = "=" * 70
        for kind, key in (("ERROR", "errors"), ("FAIL", "failures")):
            for outcome in result.outcomes:
                for test_id, text in outcome[key]:
                    self.stream.write(f"{line}\n{kind}: {test_id}\n{'-' * 70}\n{text}\n")
        for outcome in result.outcomes:
            if failed(outcome):
                shown = unit_output(Path(self.scratch), outcome["unit"])
                if shown:
                    self.stream.write(f"{line}\nOutput of {outcome['unit']} (last "
                                      f"{len(shown)} lines of its worker's log):\n"
                                      + "\n".join(shown) + "\n")
        print_slowest(self.stream, [d for o in result.outcomes for d in o["durations"]])
        self.stream.write(f"{'-' * 70}\nRan {result.tests_run} tests in {seconds:.3f}s "
                          f"({len(result.outcomes)} of {total_units} units, {self.jobs} workers)\n\n")
        counts = [f"{name}={result.count(key)}" for name, key in
                  (("failures", "failures"), ("errors", "errors"), ("skipped", "skipped"),
                   ("expected failures", "expected_failures"),
                   ("unexpected successes", "unexpected_successes")) if result.count(key)]
        if result.interrupted:
            counts.append("interrupted")
        verdict = "OK" if result.wasSuccessful() else "FAILED"
        self.stream.write(verdict + (f" ({', '.join(counts)})" if counts else "") + "\n")

    @staticmethod
    def _save_durations(result: ParallelResult, units: dict[str, list[str]], path: Path) -> None:
        """Merged into what the file holds: a run of a few units keeps the others' times."""
        found = expected_durations(path)
        found.update({o["unit"]: round(o["seconds"], 1) for o in result.outcomes if o["unit"] in units})
        try:
            path.write_text(json.dumps(dict(sorted(found.items())), indent=1) + "\n")
        except OSError:
            pass  # only an ordering hint
