"""``--repeat N`` makes N runs in one results root, and a signal that arrives during the
end-of-run report or an upload is still an interrupt (exit 130/143, ``interrupted: true``).

The late signals are sent from a hook at a known point (in-process, through the same
``daist.app`` wiring as ``python -m daist``), never after a sleep."""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import tempfile
import unittest
from pathlib import Path

from daist import app
from daist.framework import main
from daist.framework.events import Events
from daist.framework.session import Session
from daist.framework.selection import load_suite
from daist.framework.settings import load_settings
from daist.models.result import Result
from uts.harness import StandinTestCase, run_daist

TEST = "daist.test_target"


def run_manifests(output: Path) -> list[Path]:
    """The manifest of each run directory under ``output`` (not again through the per-host
    ``latest`` link)."""
    return sorted(m for m in output.glob("*/*/Result-*.json") if not m.parent.is_symlink())


class TestRepeat(StandinTestCase):
    def test_repeat_makes_one_results_directory_per_run(self):
        output = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, output, ignore_errors=True)
        run = run_daist("--repeat", "3", TEST, env={"DET_MASTER": self.url}, output=output)
        self.assertEqual(run.returncode, 0, run.output)
        manifests = run_manifests(output)
        self.assertEqual(len(manifests), 3, run.output)
        self.assertEqual(len({m.parent for m in manifests}), 3)
        for manifest in manifests:
            result = Result.open(manifest)
            self.assertEqual((result.outcome.status, result.outcome.tests_run), ("passed", 1))
        self.assertIn("daist: 3 of 3 runs made; exit statuses 0, 0, 0", run.stdout)
        numbered = [line for line in run.stdout.splitlines() if line.startswith("daist: run ")
                    and " of 3" in line]
        self.assertEqual(numbered, [f"daist: run {n} of 3" for n in (1, 2, 3)], run.stdout)

    def test_repeat_count_is_checked(self):
        run = run_daist("--repeat", "0", TEST, env={"DET_MASTER": self.url})
        self.assertEqual(run.returncode, 2)
        self.assertIn("--repeat: expected a count from 1 to 1000", run.stderr)


class TestLateSignals(StandinTestCase):
    def run_with_hook(self, *, on_stop=None, after_test=None) -> tuple[int, Result]:
        output = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, output, ignore_errors=True)
        settings = load_settings(environ={"DET_MASTER": self.url, "DAIST_EXEC_OUTPUT": str(output),
                                          "DAIST_LOG_STDOUT_LEVEL": "ERROR"})
        events = Events()
        if on_stop is not None:  # first, so it fires as the report starts
            events.run_stop.add_listener(on_stop)
        if after_test is not None:  # where the results-database upload runs
            events.test_stop.add_listener(after_test)
        session = Session(settings=settings, command="test", standin=app.standin_launcher(),
                          events=app.listen(events))
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            status = main.run(session, load_suite([TEST]), junit_xml=None)
        [manifest] = run_manifests(output)
        return status, Result.open(manifest)

    def test_sigterm_during_the_report(self):
        reported = []

        def report(session):
            os.kill(os.getpid(), signal.SIGTERM)
            reported.append("finished")  # never reached: the signal interrupts the report

        status, result = self.run_with_hook(on_stop=report)
        self.assertEqual(status, 143)
        self.assertEqual(reported, [])
        self.assertTrue(result.interrupted)
        self.assertEqual(result.outcome.status, "interrupted")
        self.assertIsNotNone(result.end_time)

    def test_sigint_during_an_upload(self):
        def upload(session, test_id):
            os.kill(os.getpid(), signal.SIGINT)

        status, result = self.run_with_hook(after_test=upload)
        self.assertEqual(status, 130)
        self.assertTrue(result.interrupted)
        self.assertEqual(result.outcome.status, "interrupted")

    def test_no_signal_no_interrupt(self):  # the same path, undisturbed: the checks can fail
        status, result = self.run_with_hook(on_stop=lambda session: None)
        self.assertEqual(status, 0)
        self.assertFalse(result.interrupted)
        self.assertEqual(result.outcome.status, "passed")


if __name__ == "__main__":
    unittest.main()
