"""The read/write test's clean-up: nothing left behind, also when interrupted (the interrupts
themselves are reliability case 6, in uts/reliability/test_interrupts.py)."""
from __future__ import annotations

import signal
import time

from uts.harness import DaistRun, StandinTestCase, remove_results, results_dir_of, start_daist
from uts.rest_api.loadruns import (MODULE, PASSWORD, counts, expire_tokens, load_env,
                                   run_load_test, stats_of, users_logged_in, wait_for)

OWN_KINDS = ("projects", "notes", "models", "model_versions")


class TestReadWriteCleanup(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def interrupt(self, name: str, signum: int, *, users: int = 4, **settings) -> DaistRun:
        expire_tokens(self.url)
        process, _ = start_daist(f"{MODULE}.{name}",
                                 env=load_env(self.url, users=users, run_time=60, **settings))
        try:
            wait_for(users_logged_in(self.url, users), timeout=60, what="the users' logins")
            time.sleep(1.5)  # inside the measured window
            process.send_signal(signum)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        run = DaistRun(process.returncode, stdout, stderr, results_dir_of(stdout))
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
        run = self.interrupt("TestRW", signal.SIGINT)
        self.assertEqual(run.returncode, 130, run.output)
        self.assertGreater(stats_of(run, "TestRW").entry("create project").num_requests, 0)
        after = counts(self.url)
        self.assertEqual({k: after[k] for k in OWN_KINDS}, {k: before[k] for k in OWN_KINDS})
