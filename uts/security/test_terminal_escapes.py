"""Issue 24, holes 4 to 6: text from outside never reaches a terminal as control characters.
A reason phrase from a master (the run's console with HttpUser), names and messages from a
results directory (``report summary``, ``compare``) and test names from the results database
(``db changes``) carry ESC, BEL, CR and C1 controls; every console path shows them escaped
(``\\x1b``) through ``daist.models.terminal.for_terminal``."""
from __future__ import annotations

import shutil
import tempfile
import unittest
from pathlib import Path

from daist.framework import paths
from daist.models.result import TestRecord
from daist.models.terminal import for_terminal
from daist.models.timestamp import Timestamp
from uts.db.support import DbTestCase
from uts.db.test_changes import STEP_AT, changes_cli, levels, upload_day
from uts.harness import remove_results, run_daist
from uts.reliability.test_fail_closed import PROFILE
from uts.reliability.test_malformed_artifacts import report_cli
from uts.report.factories import LOAD_TEST, START, latencies, make_entry, make_run_dir, make_stats
from uts.rest_api.fake_master import Answer, FakeMaster
from uts.rest_api.loadruns import MODULE, load_env

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\r\x9b31m"
"""Retitles the window, clears the screen, returns the carriage, and a C1 CSI."""
SHOWN = r"\x1b]0;pwned\x07\x1b[2J\x0d\x9b31m"
CONTROLS = ("\x1b", "\x07", "\r", "\x9b")


def assert_escaped(test: unittest.TestCase, text: str, *, shown: str = SHOWN) -> None:
    for control in CONTROLS:
        test.assertNotIn(control, text)
    test.assertIn(shown, text)


class TestForTerminal(unittest.TestCase):
    def test_controls_are_shown_escaped_and_text_is_kept(self) -> None:
        self.assertEqual(for_terminal(f"a{HOSTILE}\tb\nc\x7fé"), f"a{SHOWN}\tb\nc\\x7fé")


class TestFromAMaster(unittest.TestCase):
    def test_a_reason_phrase_reaches_the_run_console_escaped(self) -> None:
        fake = FakeMaster(other=Answer(500, "application/json", b"{}", reason=f"Bad{HOSTILE}"))
        url = fake.start()
        self.addCleanup(fake.stop)
        config = Path(tempfile.mkdtemp(prefix="daist-fake-profile-")) / "config.conf"
        self.addCleanup(shutil.rmtree, config.parent)
        config.write_text(paths.DEFAULT_CONFIG.read_text() + PROFILE)
        env = {**load_env(url, user_class="HttpUser"), "DAIST_CONFIG": str(config),
               "DAIST_DETERMINED_RESOURCE_PROFILE": "fake"}
        run = run_daist(f"{MODULE}.TestRO", env=env, timeout=120)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 1, run.output)
        assert_escaped(self, run.output, shown=r"Bad\x1b]0;pwned\x07")


class TestFromAResultsDirectory(unittest.TestCase):
    def setUp(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="uts-terminal-"))
        self.addCleanup(shutil.rmtree, self.root)

    def run_dir(self, minute: int) -> Path:
        stats = make_stats(make_entry(f"get {HOSTILE}", latencies(40.0, 200, seed=minute),
                                      failures=5, message=f"HTTPError('500 {HOSTILE}')"))
        return make_run_dir(self.root, start=Timestamp(START.unix + 60 * minute),
                            system=f"lab-{minute}", locust={LOAD_TEST: stats},
                            tests={LOAD_TEST: TestRecord(status="failed", duration_s=20.0,
                                                         message=f"limit broken {HOSTILE}")},
                            status="failed")

    def test_report_summary_and_compare_show_it_escaped(self) -> None:
        base, cand = self.run_dir(0), self.run_dir(1)
        summary = report_cli("summary", base, "--no-html")
        self.assertEqual(summary.returncode, 0, summary.stderr)
        assert_escaped(self, summary.stdout + summary.stderr)
        compare = report_cli("compare", base, cand, "--all")
        self.assertIn(compare.returncode, (0, 1), compare.stderr)
        assert_escaped(self, compare.stdout + compare.stderr, shown=r"\x1b]0;pwned\x07\x1b[2J")


class HistoryCase(DbTestCase):
    """A daily history in the results database of one endpoint named ``NAME`` whose p95
    steps up at run ``STEP_AT`` (a change point, so ``db changes --html`` draws it)."""

    NAME = ""

    def setUp(self) -> None:
        super().setUp()
        from daist.db.connection import connect
        from daist.db.schema import migrate
        with connect(self.target) as conn:
            migrate(conn, self.target)
        self.work = Path(tempfile.mkdtemp(prefix="uts-history-"))
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        for index, p95 in enumerate(levels(1, 24, step_at=STEP_AT)):
            self.assertFalse(upload_day(self.target, self.work, index, {self.NAME: p95}).skipped)

    def changes(self, *args: str) -> tuple[int, str, str]:
        return changes_cli(self.env(), *args)


class TestFromTheDatabase(HistoryCase):
    NAME = f"get {HOSTILE}"

    def test_db_changes_shows_it_escaped(self) -> None:
        status, out, err = self.changes()
        self.assertEqual(status, 0, err)
        assert_escaped(self, out + err, shown=f"get {SHOWN} (GET) on standin")

if __name__ == "__main__":
    unittest.main()
