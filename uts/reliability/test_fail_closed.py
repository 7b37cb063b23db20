"""Load tests fail closed: a master whose answers are not Determined's JSON, discovery that
finds nothing to load, and a Locust worker lost mid-run each fail the test with one clear line,
and every such run still leaves a valid manifest that lists only files that exist."""
from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import unittest
from pathlib import Path

import psutil

from daist.framework import paths
from uts.harness import (DaistRun, StandinTestCase, remove_results, results_dir_of, run_daist,
                         start_daist)
from uts.rest_api.fake_master import Answer, FakeMaster
from uts.rest_api.loadruns import (MODULE, PASSWORD, case_id, command_line, expire_tokens,
                                   load_env, run_with_remote_worker, start_worker, stats_of,
                                   users_logged_in, wait_for)

PROFILE = """
[profile.fake]
user_id = 1
user_name = admin
workspace_id = 1
project_id = 1
model_name = m
model_version = 1
experiment_id = 1
trial_id = 1
checkpoint_uuid = c
experiment_file = f.py
task_id = t
template_name = tpl
resource_pool = default
"""


ANSWERED_PROPERLY = frozenset({"login", "logout", "get master configuration", "get experiment file",
                               "get checkpoint download"})
"""Entries of the read-only mix that the fake master answers with what they expect."""


def assert_valid_results(test: unittest.TestCase, run: DaistRun) -> None:
    """The manifest opens and every file it lists exists."""
    result = run.result
    for rel in result.files:
        test.assertTrue((run.results_dir / rel).is_file(), rel)


class TestFakeMasters(unittest.TestCase):
    def run_against(self, answer: Answer, *, profile: bool) -> DaistRun:
        fake = FakeMaster(other=answer)
        url = fake.start()
        self.addCleanup(fake.stop)
        env = load_env(url)
        if profile:
            config = Path(tempfile.mkdtemp(prefix="daist-fake-profile-")) / "config.conf"
            config.write_text(paths.DEFAULT_CONFIG.read_text() + PROFILE)
            env.update({"DAIST_CONFIG": str(config), "DAIST_DETERMINED_RESOURCE_PROFILE": "fake"})
        run = run_daist(f"{MODULE}.TestRO", env=env, timeout=120)
        self.addCleanup(remove_results, run)
        return run

    def test_an_html_200_master_fails_discovery_naming_the_endpoints(self):
        run = self.run_against(Answer(), profile=False)
        self.assertEqual(run.returncode, 1, run.output)
        record = run.result.tests[case_id("TestRO")]
        self.assertEqual(record.status, "failed")
        self.assertRegex(record.message, r"^resource discovery left \d+ of \d+ endpoints of the ro "
                                         r"mix unusable: get available workspace resource pools "
                                         r"\(no workspace_id\); get checkpoint \(no checkpoint_uuid\)")
        self.assertNotIn("\n", record.message)
        assert_valid_results(self, run)
        self.assertEqual(len(run.result.files_of("ResourceProfile")), 1)

    def test_answers_that_are_not_a_json_object_fail_every_request(self):
        run = self.run_against(Answer(200, "application/json", b"[]"), profile=True)
        self.assertEqual(run.returncode, 1, run.output)
        message = run.result.tests[case_id("TestRO")].message
        invalid = "invalid response: not a JSON object (starts '[]')"
        self.assertIn(f"x {invalid}", message)
        stats = stats_of(run, "TestRO")
        # Which endpoints the short random mix reached varies (the stats list every endpoint of
        # the mix, unreached ones with 0 requests); what each one that was reached got does not:
        # every request fails but those the fake answers properly and the file downloads (not
        # JSON by nature; their check is in uts/rest_api/test_answers.py).
        reached = [e.test_name for e in stats.entries if e.num_requests > 0]
        self.assertTrue(set(reached) - ANSWERED_PROPERLY, reached)
        for entry in stats.entries:
            fails = entry.num_requests and entry.test_name not in ANSWERED_PROPERLY
            expected = {invalid: entry.num_requests} if fails else {}
            self.assertEqual(entry.failures, expected, entry.test_name)
        # the test total leads; each endpoint with 5 failures or more is named after it
        found = re.match(r"^\d+ limits? broken: failures \d+\.\d% \((\d+) of (\d+)\) > "
                         r"max_fail_ratio 5\.0%: ", message)
        self.assertIsNotNone(found, message)
        self.assertEqual((int(found[1]), int(found[2])), (stats.num_failures, stats.num_requests))
        assert_valid_results(self, run)


class TestLostWorker(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def test_a_worker_killed_mid_run_fails_the_test_naming_it(self):
        expire_tokens(self.url)
        process, _ = start_daist(f"{MODULE}.TestRO", env=load_env(
            self.url, workers=2, users=4, run_time=60, stop_timeout=2))
        try:
            wait_for(users_logged_in(self.url, 4), timeout=90, what="the users' logins",
                     process=process)
            workers = [c for c in psutil.Process(process.pid).children(recursive=True)
                       if "-m daist.worker" in command_line(c)]
            self.assertEqual(len(workers), 2)
            victim, survivor = workers
            victim.send_signal(signal.SIGKILL)
            stdout, stderr = process.communicate(timeout=90)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        run = DaistRun(process.returncode, stdout, stderr, results_dir_of(stdout))
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 1, run.output)
        record = run.result.tests[case_id("TestRO")]
        self.assertEqual(record.status, "failed")
        self.assertRegex(record.message, r"^1 of 2 Locust workers stopped reporting during the "
                                         rf"load: \S+ pid {victim.pid} \(\S+\)$")
        stats = stats_of(run, "TestRO")       # what was measured is kept, and who reported
        self.assertEqual([w.split(" pid ")[1] for w in stats.run.workers_reported],
                         [str(survivor.pid)])
        self.assertGreater(stats.num_requests, 0)
        assert_valid_results(self, run)


class TestOddWorkers(StandinTestCase):
    """Remote workers that connect to Locust but cannot run daist's users fail the load test,
    named, before its window: none of its load would be what the results say."""
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def run_with(self, mode: str, **settings: object) -> tuple[DaistRun, subprocess.Popen]:
        run, worker, worker_log = run_with_remote_worker(self.url, lambda port: start_worker(
            port, mode, module="uts.reliability.odd_worker"), **settings)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 1, run.output + worker_log)
        assert_valid_results(self, run)
        return run, worker

    def test_a_worker_that_is_not_daists_is_never_ready(self):
        # 20 s: the plain worker must have connected by then to be named; its start takes
        # 1-2 s quiet and a few seconds on a busy machine (it never says hello: the run waits
        # out the whole 20 s)
        run, _ = self.run_with("plain", worker_wait=20)
        self.assertEqual(run.result.tests[case_id("TestRO")].message,
                         "only 0 of 1 Locust workers connected within 20 s ([locust] worker_wait);"
                         " 1 connected (1 of them never said hello: not daist workers?)")

    def test_a_worker_that_starts_no_user_fails_the_test_naming_it(self):
        run, worker = self.run_with("idle")
        self.assertRegex(run.result.tests[case_id("TestRO")].message,
                         rf"^the workers run 0 of 4 users 10 s after spawning ended "
                         rf"\(\S+ pid {worker.pid} \(\S+\): 0\)$")


if __name__ == "__main__":
    unittest.main()
