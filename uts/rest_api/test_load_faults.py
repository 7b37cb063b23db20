"""Load tests against a misbehaving stand-in: 5xx bursts and dropped connections, a hanging
endpoint, expired tokens and a restart of the target in the middle of a run."""
from __future__ import annotations

import time
import unittest

from daist.standin.launcher import StandinProcess
from uts.harness import DaistRun, StandinTestCase, remove_results, results_dir_of, start_daist
from uts.rest_api.loadruns import (MODULE, PASSWORD, case_id, expire_tokens, free_port,
                                   load_env, run_load_test, set_faults, stats_of,
                                   users_logged_in, wait_for)

NOT_AUTH = "^/api/v1/(?!auth/|master$)"  # the session's own checks must pass


class TestFaults(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def tearDown(self):
        set_faults(self.url, [])

    def test_5xx_and_drops_are_counted_per_endpoint_and_fail_the_verdict(self):
        # Drops on a POST: FastHttpUser's client resends idempotent requests (GET, PUT,
        # DELETE) on a closed connection by itself, as RFC 9110 allows, so only POSTs show them.
        set_faults(self.url, [{"path": NOT_AUTH, "error_rate": 0.2, "status": 503},
                              {"path": "^/api/v1/experiments-search$", "drop_rate": 0.5}])
        run = run_load_test("TestRO", url=self.url)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 1, run.output)
        message = run.result.tests[case_id("TestRO")].message
        self.assertRegex(message, r"failures \d+\.\d% \(\d+ of \d+\) > max_fail_ratio 5\.0%")
        stats = stats_of(run, "TestRO")
        self.assertGreater(stats.fail_ratio, 0.1)
        search = stats.entry("search experiments")
        self.assertGreater(search.fail_ratio, 0.4)
        self.assertTrue(any("503" in m for m in search.failures), search.failures)
        self.assertTrue(any("closed" in m.lower() for m in search.failures), search.failures)
        agents = stats.entry("get agents")
        self.assertEqual(sum(agents.failures.values()), agents.num_failures)
        self.assertEqual(list(agents.failures), ["LocustBadStatusCode: code=503"])

    def test_drops_of_get_requests_show_with_httpuser(self):
        set_faults(self.url, [{"path": "^/api/v1/agents$", "drop_rate": 0.5}])
        run = run_load_test("TestRO", url=self.url, user_class="HttpUser", max_fail_ratio=1,
                            p95_ms=0)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        agents = stats_of(run, "TestRO").entry("get agents")
        self.assertGreater(agents.fail_ratio, 0.3, agents.failures)
        for message in agents.failures:
            self.assertRegex(message, r"(?i)disconnect|closed|reset|aborted")

    def test_failures_below_the_limit_pass(self):
        set_faults(self.url, [{"path": NOT_AUTH, "error_rate": 0.1, "status": 500}])
        run = run_load_test("TestRO", url=self.url, max_fail_ratio=0.5)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        self.assertGreater(stats_of(run, "TestRO").num_failures, 0)

    def test_hanging_endpoint_ends_as_timeouts_within_run_and_stop_time(self):
        set_faults(self.url, [{"path": "/experiments/[0-9]+/checkpoints", "hang": True}])
        run = run_load_test("TestExperimentCheckpoints", url=self.url, run_time=3,
                            request_timeout=1.5, stop_timeout=2, timeout=60)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 1, run.output)
        record = run.result.tests[case_id("TestExperimentCheckpoints")]
        # run time + stop timeout, plus spawning, discovery and saving (generous, not a speed test)
        self.assertLess(record.duration_s, 3 + 2 + 10)
        stats = stats_of(run, "TestExperimentCheckpoints")
        entry = stats.entry("get experiment checkpoints")
        self.assertEqual(entry.num_failures, entry.num_requests)
        self.assertGreater(entry.num_requests, 0)
        self.assertTrue(all("timed out" in m for m in entry.failures), entry.failures)
        self.assertAlmostEqual(entry.hdr.p50_ms, 1500, delta=300)
        self.assertIn("get experiment checkpoints", record.message)

    def test_expired_tokens_fail_and_each_user_logs_in_again_at_most_once(self):
        users = 4
        expire_tokens(self.url)
        process, output = start_daist(f"{MODULE}.TestRO",
                                      env=load_env(self.url, users=users, run_time=5))
        wait_for(users_logged_in(self.url, users), timeout=60, what="the users' logins")
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


class TestTargetRestart(unittest.TestCase):
    def test_run_survives_a_restart_of_the_target(self):
        port = free_port()
        options = {"port": port, "scale": 10, "passwords": {"admin": PASSWORD}}
        first = StandinProcess(**options)
        url = first.start()
        second = None
        try:
            process, _ = start_daist(f"{MODULE}.TestRO",
                                     env=load_env(url, run_time=6, samples="true"))
            wait_for(users_logged_in(url, 4), timeout=60, what="the users' logins")
            time.sleep(1.0)
            first.stop()
            down = time.time()
            time.sleep(1.0)
            second = StandinProcess(**options)
            self.assertEqual(second.start(), url)
            up = time.time()
            stdout, stderr = process.communicate(timeout=90)
        finally:
            first.stop()
            if second is not None:
                second.stop()
        run = DaistRun(process.returncode, stdout, stderr, results_dir_of(stdout))
        self.addCleanup(remove_results, run)
        self.assertIn(run.returncode, (0, 1), run.output)
        self.assertFalse(run.result.interrupted)
        stats = stats_of(run, "TestRO")
        self.assertFalse(stats.run.interrupted)
        self.assertGreater(stats.num_failures, 0)
        messages = " ".join(m for e in stats.entries for m in e.failures)
        self.assertRegex(messages, r"(?i)refused|reset|closed|connection")
        (samples,) = run.result.files_of("LocustSamples")
        after = [line for line in samples.read_text().splitlines()[1:]
                 if float(line.split(",")[2]) > up and line.endswith(",1")]
        self.assertGreater(len(after), 10, f"no successful request after the restart at {up}"
                                           f" (down at {down})")


if __name__ == "__main__":
    unittest.main()
