"""Case 4: the target hangs. Load-test requests time out at the request timeout and the test ends
within run time + stop timeout; a metric sweep's experiment timeout fires and the run ends with
a clear failure (also when the master dies)."""
from __future__ import annotations

import os
import signal
import time
import unittest

from daist.standin.launcher import StandinProcess
from uts.harness import StandinTestCase, remove_results
from uts.metrics.support import METRICS_POST, MODULE as METRICS_MODULE, TEST_ID, WatchedRun, sweep_of
from uts.rest_api.loadruns import PASSWORD, case_id, run_load_test, set_faults, stats_of

# Slow reports (25 ms each way) so the level is still running when the master goes away.
SLOW = [{"path": METRICS_POST, "method": "POST", "latency_ms": 25.0}]
LONG_LEVEL = {"DAIST_METRICS_NUM_BATCHES": "250", "DAIST_METRICS_READS": "1"}


class TestHangingEndpoint(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def tearDown(self):
        set_faults(self.url, [])

    def test_hanging_endpoint_ends_as_timeouts_within_run_and_stop_time(self):
        set_faults(self.url, [{"path": "/experiments/[0-9]+/checkpoints", "hang": True}])
        run = run_load_test("TestExperimentCheckpoints", url=self.url, run_time=3,
                            request_timeout=1.5, stop_timeout=2, timeout=60)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 1, run.output)
        record = run.result.tests[case_id("TestExperimentCheckpoints")]
        # run time + stop timeout, plus spawning, discovery and saving (~2 s quiet, ~6 s on a busy
        # machine; generous, not a speed test): a run held by its hanging requests would not end
        self.assertLess(record.duration_s, 3 + 2 + 30)
        stats = stats_of(run, "TestExperimentCheckpoints")
        entry = stats.entry("get experiment checkpoints")
        self.assertEqual(entry.num_failures, entry.num_requests)
        self.assertGreater(entry.num_requests, 0)
        self.assertTrue(all("timed out" in m for m in entry.failures), entry.failures)
        self.assertAlmostEqual(entry.hdr.p50_ms, 1500, delta=300)
        self.assertIn("get experiment checkpoints", record.message)


class TestMasterTrouble(unittest.TestCase):
    """Each test gets its own stand-in: these leave it hung or dead."""

    def setUp(self):
        self.standin = StandinProcess(scale=10)
        self.url = self.standin.start()
        self.addCleanup(self.standin.stop)
        set_faults(self.url, SLOW, password="")

    def start_level(self):
        run = WatchedRun(METRICS_MODULE + ".Test", env={
            "DET_MASTER": self.url, "DAIST_METRICS_CONCURRENCY": "1",
            "DAIST_METRICS_METRIC_COUNT": "8", "DAIST_METRICS_TIMEOUT": "6", **LONG_LEVEL})
        run.wait_for(r"concurrency 1: experiment \d+", timeout=120)
        time.sleep(1.0)  # the trial is starting or reporting
        return run

    def assert_ends_with_a_clear_failure(self, run, pattern):
        started = time.monotonic()
        daist = run.finish(timeout=120)
        self.assertLess(time.monotonic() - started, 90)
        self.assertEqual(daist.returncode, 1, daist.output)
        record = daist.result.tests[TEST_ID]
        self.assertIn(record.status, ("failed", "error"))
        self.assertRegex(record.message, pattern)
        self.assertIsNotNone(daist.result.end_time)
        self.assertEqual(sweep_of(daist.result).series, [])  # the data file is still written

    def test_master_that_hangs(self):
        run = self.start_level()
        set_faults(self.url, [{"path": "^/api/v1/", "hang": True}], password="")
        self.assert_ends_with_a_clear_failure(
            run, rf"cannot read experiment \d+: the master at {self.url} did not answer within")

    def test_master_that_dies(self):
        run = self.start_level()
        os.killpg(self.standin.pid, signal.SIGKILL)
        self.assert_ends_with_a_clear_failure(run, r"cannot read experiment \d+")


if __name__ == "__main__":
    unittest.main()
