"""Case 2: a wrong password, and tokens that expire in the middle of a run: one clear auth error;
the load test records 401s as failures and each user logs in again at most once."""
from __future__ import annotations

import time
import unittest

from uts.harness import (DaistRun, StandinTestCase, remove_results, results_dir_of, run_daist,
                         start_daist)
from uts.rest_api.loadruns import (MODULE, PASSWORD, expire_tokens, load_env, set_faults,
                                   stats_of, users_logged_in, wait_for)


class TestAuth(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def tearDown(self):
        set_faults(self.url, [])

    def test_wrong_password_is_one_clear_error_before_any_load(self):
        run = run_daist(f"{MODULE}.TestRO", env={**load_env(self.url), "DET_PASSWORD": "not-the-pw"})
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 3, run.output)
        self.assertNotIn("Traceback", run.output)
        pattern = (rf"the master at {self.url} refused the login of user 'admin' \(HTTP 401\): "
                   r"check DET_USER and DET_PASSWORD")
        self.assertRegex(run.stderr.strip(), "^daist: error: " + pattern + "$")
        self.assertRegex(run.result.error, pattern)
        self.assertEqual(run.result.outcome.tests_run, 0)

    def test_expired_tokens_fail_and_each_user_logs_in_again_at_most_once(self):
        users = 4
        expire_tokens(self.url)
        process, output = start_daist(f"{MODULE}.TestRO",
                                      env=load_env(self.url, users=users, run_time=5))
        wait_for(users_logged_in(self.url, users), timeout=60, what="the users' logins",
                 process=process)
        time.sleep(1.0)
        expire_tokens(self.url)
        time.sleep(1.5)
        expire_tokens(self.url)
        stdout, stderr = process.communicate(timeout=90)
        run = DaistRun(process.returncode, stdout, stderr, results_dir_of(stdout))
        self.addCleanup(remove_results, run)
        stats = stats_of(run, "TestRO")
        logins = stats.entry("login")
        self.assertGreater(logins.num_requests, 0)
        self.assertLessEqual(logins.num_requests, users)          # one re-login per user at most
        unauthorized = sum(count for entry in stats.entries for message, count
                           in entry.failures.items() if "401" in message)
        self.assertGreater(unauthorized, users)   # after the second expiry every request fails
        self.assertEqual(run.returncode, 1, run.output)


if __name__ == "__main__":
    unittest.main()
