"""A metric sweep cut short: Ctrl-C, SIGTERM, a master that hangs, a master that dies. The data of
finished levels (and what the running level reported) is kept, the running experiment is
killed, no trial process is left, and the run ends."""
import os
import signal
import time
import unittest

import requests

from daist.framework.api import MasterClient
from daist.standin.launcher import StandinProcess
from uts.metrics.support import (METRICS_POST, MODULE, TEST_ID, StandinCase, WatchedRun,
                                 sweep_of)

# Slow reports (25 ms each way) so a level lasts long enough to be interrupted mid-way.
SLOW = [{"path": METRICS_POST, "method": "POST", "latency_ms": 25.0}]
BATCHES = 250
LONG_LEVEL = {"DAIST_METRICS_NUM_BATCHES": str(BATCHES), "DAIST_METRICS_READS": "1"}


def validation_reports(url: str, experiment_id: int) -> int:
    """How many latency chunks the experiment's trials reported so far."""
    with MasterClient(url) as api:
        api.login("admin", "")
        trials = api.get(f"/api/v1/experiments/{experiment_id}/trials")["trials"]
        if not trials:
            return 0
        answer = api.request("GET", "/api/v1/trials/metrics/trial_metrics",
                             params={"trialIds": [t["id"] for t in trials], "group": "validation"})
    return answer.text.count('"validation"')


class TestInterrupts(StandinCase):
    def interrupt_mid_level(self, signum: int, *, concurrency: str, level: int):
        """Run the sweep, wait until ``level``'s trials reported a chunk, send ``signum``."""
        self.set_faults(SLOW)
        run = WatchedRun(MODULE + ".Test", env=self.env(DAIST_METRICS_CONCURRENCY=concurrency,
                                                        **LONG_LEVEL))
        line = run.wait_for(rf"concurrency {level}: experiment \d+", timeout=120)
        experiment_id = int(line.split("experiment ")[1].split(",")[0])
        deadline = time.monotonic() + 60
        while validation_reports(self.url, experiment_id) == 0 and time.monotonic() < deadline:
            time.sleep(0.25)
        self.assertGreater(validation_reports(self.url, experiment_id), 0)
        run.process.send_signal(signum)
        return run.finish(timeout=90), experiment_id

    def assert_cut_short(self, daist, experiment_id, *, status):
        self.assertEqual(daist.returncode, status, daist.output)
        result = daist.result
        self.assertTrue(result.interrupted)
        self.assertEqual(result.outcome.status, "interrupted")
        self.assertEqual(self.wait_for_state(experiment_id, ("STATE_CANCELED",)), "STATE_CANCELED")
        self.assert_no_trial_processes()
        return sweep_of(result)

    def test_ctrl_c_keeps_finished_levels_and_the_running_one(self):
        daist, experiment_id = self.interrupt_mid_level(signal.SIGINT, concurrency="1,2", level=2)
        sweep = self.assert_cut_short(daist, experiment_id, status=130)
        self.assertEqual(daist.result.error, "interrupted (SIGINT)")
        first, second = sweep.series
        self.assertEqual((first.level, first.complete, len(first.observations)), (1, True, BATCHES))
        self.assertEqual((second.level, second.complete, second.experiment_id),
                         (2, False, experiment_id))
        self.assertTrue(0 < len(second.observations) < 2 * BATCHES, len(second.observations))
        self.assertTrue(daist.result.files_of("Hist", test_id=TEST_ID))  # level 1's plots
        self.assertTrue([p for p in daist.result.files_of("MetricLatencyOpHist", test_id=TEST_ID)
                         if p.suffix == ".txt"])

    def test_sigterm_keeps_the_running_level_and_ends_with_143(self):
        daist, experiment_id = self.interrupt_mid_level(signal.SIGTERM, concurrency="2", level=2)
        sweep = self.assert_cut_short(daist, experiment_id, status=143)
        (series,) = sweep.series
        self.assertFalse(series.complete)
        self.assertTrue(0 < len(series.observations) < 2 * BATCHES)
        self.assertEqual(daist.result.error, "interrupted (terminated by signal 15)")
        self.assertIn("daist: error: interrupted (terminated by signal 15)", daist.stderr)


class TestMasterTrouble(unittest.TestCase):
    """Each test gets its own stand-in: these leave it hung or dead."""

    def setUp(self):
        self.standin = StandinProcess(scale=10)
        self.url = self.standin.start()
        self.addCleanup(self.standin.stop)
        requests.put(f"{self.url}/standin/faults", json={"rules": SLOW},
                     timeout=10).raise_for_status()

    def start_level(self):
        run = WatchedRun(MODULE + ".Test", env={
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
        requests.put(f"{self.url}/standin/faults", json={"rules": [{"path": "^/api/v1/",
                                                                   "hang": True}]},
                     timeout=10).raise_for_status()
        self.assert_ends_with_a_clear_failure(
            run, rf"cannot read experiment \d+: the master at {self.url} did not answer within")

    def test_master_that_dies(self):
        run = self.start_level()
        os.killpg(self.standin.pid, signal.SIGKILL)
        self.assert_ends_with_a_clear_failure(run, r"cannot read experiment \d+")


if __name__ == "__main__":
    unittest.main()
