"""Case 5: 5xx bursts and dropped connections are counted per endpoint with their messages; the
verdict fails only past the configured limit."""
from __future__ import annotations

import unittest

from uts.harness import StandinTestCase, remove_results
from uts.rest_api.loadruns import PASSWORD, case_id, run_load_test, set_faults, stats_of

NOT_AUTH = "^/api/v1/(?!auth/|master$)"  # the session's own checks must pass


class TestErrorsAndDrops(StandinTestCase):
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


if __name__ == "__main__":
    unittest.main()
