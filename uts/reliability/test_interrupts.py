"""Case 6: Ctrl-C (SIGINT) and SIGTERM during a load test and during a metric sweep: partial
stats and histograms saved, the manifest says ``interrupted: true``, exit 130 / 143, and no
orphan process (trials, Locust workers, the embedded stand-in) is left running."""
from __future__ import annotations

import signal
import time
import unittest

import psutil

from daist.framework.master_client import MasterClient
from uts.harness import DaistRun, StandinTestCase, remove_results, results_dir_of, start_daist
from uts.metrics.support import METRICS_POST, MODULE as METRICS_MODULE, TEST_ID, StandinCase
from uts.metrics.support import WatchedRun, sweep_of
from uts.rest_api.loadruns import (PASSWORD, alive, case_id, command_line, interrupt_load_test,
                                   perf_run_of, stats_of)

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


class TestLoadTestInterrupts(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def interrupt(self, name: str, signum: int, **settings) -> DaistRun:
        run = interrupt_load_test(self.url, name, signum, **settings)
        self.addCleanup(remove_results, run)
        return run

    def assert_partial_results(self, run: DaistRun, name: str, status: int) -> None:
        self.assertEqual(run.returncode, status, run.output)
        self.assertTrue(run.result.interrupted)
        self.assertEqual(run.result.outcome.status, "interrupted")
        self.assertEqual(run.result.tests[case_id(name)].status, "interrupted")
        stats = stats_of(run, name)
        self.assertTrue(stats.run.interrupted)
        self.assertGreater(stats.num_requests, 0)
        self.assertLess(stats.run.window_s, 30)
        self.assertTrue(perf_run_of(run, name).tests)
        self.assertTrue(run.result.files_of("LocustReport", test_id=case_id(name)))

    def test_ctrl_c_saves_what_was_measured(self):
        run = self.interrupt("TestRO", signal.SIGINT)
        self.assert_partial_results(run, "TestRO", 130)
        self.assertRegex(run.stderr, r"\[TestRO.test\][^\n]* \| interrupted\n")
        self.assertNotRegex(run.stderr, r"\[TestRO.test\][^\n]* \| done\n")

    def test_sigterm_with_workers_leaves_no_process_behind(self):
        run = self.interrupt("TestRO", signal.SIGTERM, workers=2)
        self.assert_partial_results(run, "TestRO", 143)
        workers = [g.pid for g in stats_of(run, "TestRO").run.generator if g.role == "worker"]
        self.assertEqual(len(workers), 2)
        self.assertEqual(alive(workers), [])


class TestMetricSweepInterrupts(StandinCase):
    def interrupt_mid_level(self, signum: int, *, concurrency: str, level: int):
        """Run the sweep, wait until ``level``'s trials reported a chunk, send ``signum``."""
        self.set_faults(SLOW)
        run = WatchedRun(METRICS_MODULE + ".Test", env=self.env(DAIST_METRICS_CONCURRENCY=concurrency,
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
        self.assertEqual(result.tests[TEST_ID].status, "interrupted")
        self.assertEqual(self.wait_for_state(experiment_id, ("STATE_CANCELED",)), "STATE_CANCELED")
        self.assert_no_trial_processes()
        return sweep_of(result)

    def test_ctrl_c_keeps_finished_levels_and_the_running_one(self):
        daist, experiment_id = self.interrupt_mid_level(signal.SIGINT, concurrency="1,2", level=2)
        sweep = self.assert_cut_short(daist, experiment_id, status=130)
        self.assertEqual(daist.result.error, "interrupted (SIGINT)")
        self.assertRegex(daist.stderr, r"concurrency 1\][^\n]* \| done\n")
        self.assertRegex(daist.stderr, r"concurrency 2\][^\n]* \| interrupted\n")
        first, second = sweep.series
        self.assertEqual((first.level, first.complete, len(first.observations)), (1, True, BATCHES))
        self.assertEqual((second.level, second.complete, second.experiment_id),
                         (2, False, experiment_id))
        self.assertTrue(0 < len(second.observations) < 2 * BATCHES, len(second.observations))
        self.assertFalse(daist.result.files_of("Hist", test_id=TEST_ID))  # PNGs are opt-in
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


class TestEmbeddedStandinInterrupt(unittest.TestCase):
    """With no master configured the run owns a stand-in and its trial processes: a signal must
    take every one of them down."""

    def test_sigint_during_a_sweep_on_the_embedded_standin_leaves_no_process(self):
        process, _ = start_daist(METRICS_MODULE + ".Test", env={
            "DAIST_METRICS_CONCURRENCY": "2", "DAIST_METRICS_NUM_BATCHES": "400",
            "DAIST_METRICS_METRIC_COUNT": "8", "DAIST_METRICS_READS": "1"})
        try:
            seen, deadline = "", time.monotonic() + 120
            while "concurrency 2: experiment" not in seen and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                seen += line
            self.assertIn("concurrency 2: experiment", seen)
            family = wait_for_trials(process.pid, count=2)
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=90)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        run = DaistRun(process.returncode, seen + stdout, stderr, results_dir_of(seen + stdout))
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 130, run.output)
        self.assertTrue(run.result.interrupted)
        survivors = [p for p in family if alive([p.pid])]
        self.assertEqual(survivors, [], [command_line(p) for p in survivors])


def wait_for_trials(pid: int, *, count: int, timeout: float = 60) -> list[psutil.Process]:
    """The run's process tree (stand-in, trial shells and pythons) once ``count`` trials run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        family = psutil.Process(pid).children(recursive=True)
        trials = [p for p in family if _is_trial(p)]
        if len(trials) >= count:
            return family
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} trial processes appeared within {timeout} s")


def _is_trial(process: psutil.Process) -> bool:
    return "model_def.py" in command_line(process)


if __name__ == "__main__":
    unittest.main()
