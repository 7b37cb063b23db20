"""The parallel runner of ``./uts.py`` (uts/runner.py), on the fixture tests of
``uts/runner_fixtures``: outcomes and their texts reach the parent, a module fixture runs once
around its classes, each worker has its own temporary directory, a worker that dies fails its
unit by name while the others still run, and units start longest first."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from uts.runner import (ParallelRunner, expected_durations, failed, flatten, longest_first,
                        units_of)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = "uts.runner_fixtures"


def load(*modules: str) -> unittest.TestSuite:
    return unittest.defaultTestLoader.loadTestsFromNames([f"{FIXTURES}.{m}" for m in modules])


class RunnerCase(unittest.TestCase):
    def setUp(self):
        self.scratch = Path(tempfile.mkdtemp(prefix="uts-runner-"))
        self.addCleanup(shutil.rmtree, self.scratch, True)
        self.last = self.scratch / "last.json"
        self.seed = self.scratch / "seed.json"
        os.environ["UTS_FIXTURE_SCRATCH"] = str(self.scratch)   # spawned workers inherit it
        self.addCleanup(os.environ.pop, "UTS_FIXTURE_SCRATCH", None)

    def run_fixtures(self, *modules: str, jobs: int = 2, **options):
        stream = io.StringIO()
        runner = ParallelRunner(jobs=jobs, scratch=str(self.scratch), stream=stream,
                                duration_files=(self.last, self.seed), **options)
        result = runner.run(load(*modules))
        return result, stream.getvalue()


class TestUnits(unittest.TestCase):
    def test_a_class_is_a_unit_unless_its_module_has_module_fixtures(self):
        units = units_of(flatten(load("cases_passing", "cases_module_fixture")))
        self.assertEqual(units, {
            f"{FIXTURES}.cases_passing.PassingOne": [f"{FIXTURES}.cases_passing.PassingOne.test_one"],
            f"{FIXTURES}.cases_passing.PassingTwo": [f"{FIXTURES}.cases_passing.PassingTwo.test_three",
                                                      f"{FIXTURES}.cases_passing.PassingTwo.test_two"],
            f"{FIXTURES}.cases_module_fixture": [f"{FIXTURES}.cases_module_fixture.First.test_a",
                                                  f"{FIXTURES}.cases_module_fixture.Second.test_b"]})

    def test_longest_first_and_units_never_timed_count_as_the_longest(self):
        units = {"short": [], "new": [], "long": [], "middle": []}
        self.assertEqual(longest_first(units, {"short": 1.0, "long": 9.0, "middle": 5.0}),
                         ["new", "long", "middle", "short"])

    def test_the_last_runs_durations_come_first_then_the_committed_ones(self):
        work = Path(tempfile.mkdtemp(prefix="uts-runner-"))
        self.addCleanup(shutil.rmtree, work)
        last, seed = work / "last.json", work / "seed.json"
        seed.write_text('{"a": 2, "b": "not a number"}')
        self.assertEqual(expected_durations(last, seed), {"a": 2.0})
        last.write_text("{not json")
        self.assertEqual(expected_durations(last, seed), {"a": 2.0})
        last.write_text('{"a": 5.5}')
        self.assertEqual(expected_durations(last, seed), {"a": 5.5})
        self.assertEqual(expected_durations(work / "missing.json"), {})


class TestParallelRun(RunnerCase):
    def test_outcomes_and_their_texts_reach_the_parent(self):
        result, output = self.run_fixtures("cases_outcomes", "cases_passing")
        self.assertFalse(result.wasSuccessful())
        self.assertEqual(result.tests_run, 8)
        self.assertEqual([test for test, _ in result_items(result, "failures")],
                         [f"{FIXTURES}.cases_outcomes.Outcomes.test_fails"])
        self.assertEqual([test for test, _ in result_items(result, "errors")],
                         [f"{FIXTURES}.cases_outcomes.Outcomes.test_errs"])
        self.assertEqual(result.count("skipped"), 1)
        self.assertIn("AssertionError: 1 != 2 : the failing fixture", output)
        self.assertIn("RuntimeError: the erring fixture", output)
        self.assertRegex(output, r"Output of uts\.runner_fixtures\.cases_outcomes\.Outcomes \(last "
                                 r"\d+ lines of its worker's log\):\n(.*\n)*printed by the failing fixture\n")
        self.assertNotIn("Output of uts.runner_fixtures.cases_passing", output)
        self.assertRegex(output, r"\nFAILED \(failures=1, errors=1, skipped=1\)\n$")
        self.assertRegex(output, r"\] +\d+\.\d s  FAIL  uts\.runner_fixtures\.cases_outcomes\.Outcomes "
                                 r"\(4 tests, 1 skipped\)")
        self.assertIn("Ran 8 tests in", output)
        self.assertFalse(self.last.exists(), "a failed run must not become the next run's order")

    def test_a_module_fixture_runs_once_around_its_classes(self):
        self.last.write_text('{"uts.elsewhere.Kept": 7.5}')
        result, output = self.run_fixtures("cases_module_fixture", "cases_passing")
        self.assertTrue(result.wasSuccessful(), output)
        self.assertEqual(len((self.scratch / "module-fixture.log").read_text().splitlines()), 1)
        self.assertRegex(output, r"\nOK\n$")
        saved = json.loads(self.last.read_text())
        self.assertEqual(saved["uts.elsewhere.Kept"], 7.5)   # a partial run keeps the others
        self.assertEqual(sorted(saved), ["uts.elsewhere.Kept", f"{FIXTURES}.cases_module_fixture",
                                         f"{FIXTURES}.cases_passing.PassingOne",
                                         f"{FIXTURES}.cases_passing.PassingTwo"])

    def test_a_dead_worker_fails_its_unit_by_name_and_the_others_still_run(self):
        result, output = self.run_fixtures("cases_crash", "cases_passing")
        self.assertFalse(result.wasSuccessful())
        errors = result_items(result, "errors")
        self.assertEqual([unit for unit, _ in errors], [f"{FIXTURES}.cases_crash.Crash"])
        self.assertIn("worker process running this unit died", errors[0][1])
        passed = [o["unit"] for o in result.outcomes if o["run"] and not o["errors"]]
        self.assertEqual(sorted(passed), [f"{FIXTURES}.cases_passing.PassingOne",
                                          f"{FIXTURES}.cases_passing.PassingTwo"])

    def test_a_module_that_cannot_be_imported_is_an_error_by_name(self):
        result, output = self.run_fixtures("cases_passing", "cases_not_there")
        self.assertFalse(result.wasSuccessful())
        errors = result_items(result, "errors")
        self.assertEqual(len(errors), 1, output)
        self.assertIn("cases_not_there", errors[0][0])
        self.assertIn("ModuleNotFoundError", errors[0][1])
        self.assertEqual(result.tests_run, 4)   # the importable units still ran

    def test_failfast_starts_no_unit_after_a_failure(self):
        self.seed.write_text(json.dumps({f"{FIXTURES}.cases_outcomes.Outcomes": 9.0,
                                         f"{FIXTURES}.cases_outcomes.OwnTemporaryDirectory": 1.0,
                                         f"{FIXTURES}.cases_passing.PassingOne": 1.0,
                                         f"{FIXTURES}.cases_passing.PassingTwo": 1.0,
                                         f"{FIXTURES}.cases_module_fixture": 1.0}))
        result, output = self.run_fixtures("cases_outcomes", "cases_passing",
                                           "cases_module_fixture", jobs=2, failfast=True)
        self.assertFalse(result.wasSuccessful())
        # The failing unit goes first; once its failure is in, only the unit already running
        # beside it may still finish (how far that one got is up to the scheduler, not to us).
        first_failure = next(i for i, o in enumerate(result.outcomes) if failed(o))
        self.assertEqual(result.outcomes[first_failure]["unit"],
                         f"{FIXTURES}.cases_outcomes.Outcomes")
        self.assertLessEqual(len(result.outcomes), first_failure + 2, output)


class TestCommandLine(unittest.TestCase):
    def test_a_bad_number_of_workers_is_one_line(self):
        done = subprocess.run([sys.executable, str(ROOT / "uts.py"), "-j", "0", "uts.test_runner"],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
        self.assertEqual(done.returncode, 2)
        self.assertEqual(done.stderr, "uts: the number of worker processes must be a whole "
                                      "number >= 1, not '0'\n")

    def test_processes_the_tests_start_can_be_interrupted_when_uts_was_started_ignoring_it(self):
        # as a script's background job starts it: SIGINT ignored, inherited by every child
        def ignore_sigint():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        for jobs in ("1", "2"):
            done = subprocess.run([sys.executable, str(ROOT / "uts.py"), "-j", jobs,
                                   f"{FIXTURES}.cases_interruptible"], capture_output=True,
                                  text=True, timeout=120, cwd=ROOT, preexec_fn=ignore_sigint)
            self.assertEqual(done.returncode, 0, done.stderr)


def result_items(result, key: str) -> list[tuple[str, str]]:
    return [item for outcome in result.outcomes for item in outcome[key]]
