"""The read/write test's clean-up: nothing left behind, also when interrupted (the interrupts
themselves are reliability case 6, in uts/reliability/test_interrupts.py)."""
from __future__ import annotations

import signal

from uts.harness import DaistRun, StandinTestCase, remove_results
from uts.rest_api.loadruns import (PASSWORD, counts, interrupt_load_test, run_load_test,
                                   stats_of)

OWN_KINDS = ("projects", "notes", "models", "model_versions")


class TestReadWriteCleanup(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def interrupt(self, name: str, signum: int, **settings) -> DaistRun:
        run = interrupt_load_test(self.url, name, signum, **settings)
        self.addCleanup(remove_results, run)
        return run

    def test_read_write_mix_leaves_nothing_behind(self):
        before = counts(self.url)
        run = run_load_test("TestRW", url=self.url)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        stats = stats_of(run, "TestRW")
        for name in ("create project", "patch project", "put project notes", "create model",
                     "patch model", "create model version"):
            self.assertGreater(stats.entry(name).num_requests, 0, name)
        after = counts(self.url)
        self.assertEqual({k: after[k] for k in OWN_KINDS}, {k: before[k] for k in OWN_KINDS})

    def test_read_write_mix_cleans_up_after_an_interrupt(self):
        before = counts(self.url)
        # interrupted once the users hold projects of their own, which the clean-up must remove
        run = self.interrupt("TestRW", signal.SIGINT, happened=(
            "a project of the users", lambda: counts(self.url)["projects"] > before["projects"]))
        self.assertEqual(run.returncode, 130, run.output)
        after = counts(self.url)
        self.assertEqual({k: after[k] for k in OWN_KINDS}, {k: before[k] for k in OWN_KINDS})
