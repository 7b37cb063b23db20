"""daist.metrics.test_latency in unmanaged mode (``DAIST_METRICS_TRIALS=unmanaged``) against a
stand-in: detached-mode trials simulated by Locust users in daist's own process, no trial
process on the master (the same on Locust workers: test_unmanaged_workers)."""
import re
import unittest

from daist.framework.master_client import MasterClient
from uts.harness import run_daist
from uts.metrics.support import METRICS_POST, MODULE, TEST_ID, StandinCase, sweep_of

LEVELS = (1, 10, 100)
REPORTS = 3


class TestUnmanagedSweep(StandinCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.daist = run_daist(MODULE + ".Test", timeout=240, env={
            "DET_MASTER": cls.url, "DAIST_METRICS_TRIALS": "unmanaged",
            "DAIST_METRICS_CONCURRENCY": ",".join(map(str, LEVELS)),
            "DAIST_METRICS_NUM_BATCHES": str(REPORTS), "DAIST_METRICS_METRIC_COUNT": "4",
            "DAIST_METRICS_READS": "1",
            "DAIST_LOG_STDOUT_LEVEL": "INFO"})
        cls.result = cls.daist.result if cls.daist.results_dir else None

    def test_passes_with_every_report_measured(self):
        self.assertEqual(self.daist.returncode, 0, self.daist.output)
        self.assertEqual(self.result.tests[TEST_ID].status, "passed")
        sweep = sweep_of(self.result)
        self.assertEqual([s.level for s in sweep.series], list(LEVELS))
        for series in sweep.series:
            self.assertTrue(series.complete)
            self.assertEqual(len(series.trial_ids), series.concurrency)
            self.assertEqual(len(series.observations), series.concurrency * REPORTS)
            self.assertEqual(series.missing_reports(), {})
            for obs in series.observations:
                self.assertGreaterEqual(obs.visible_ms, obs.write_ms)
                self.assertGreaterEqual(obs.visible_ms, obs.enqueue_ms)

    def test_send_times_lie_in_the_level_and_grow_per_trial(self):
        for series in sweep_of(self.result).series:
            start = min(span[0] for span in series.spans.values())
            end = max(span[1] for span in series.spans.values())
            by_trial = {}
            for obs in sorted(series.observations, key=lambda o: o.index):
                by_trial.setdefault(obs.trial_id, []).append(obs.sent_unix)
            self.assertEqual(set(by_trial), set(series.trial_ids))
            for sent in by_trial.values():
                self.assertNotIn(None, sent)
                self.assertTrue(start <= min(sent) and max(sent) <= end, (start, sent, end))
                self.assertEqual(sent, sorted(sent))

    def test_progress_shows_reports_done_reaching_the_total(self):
        for level in LEVELS:
            total = level * REPORTS
            self.assertRegex(self.daist.stderr, rf"\[metrics concurrency {level}\] [^\n]* \| "
                             rf"reports {total}/{total} \|[^\n]*\| done\n")

    def test_experiments_are_unmanaged_and_completed(self):
        sweep = sweep_of(self.result)
        with MasterClient(self.url) as api:
            api.login("admin", "")
            for series in sweep.series:
                trials = api.get(f"/api/v1/experiments/{series.experiment_id}/trials")["trials"]
                self.assertEqual(len(trials), series.concurrency)
                self.assertEqual({t["state"] for t in trials}, {"STATE_COMPLETED"})
                experiment = api.get(f"/api/v1/experiments/{series.experiment_id}")["experiment"]
                self.assertEqual(experiment["state"], "STATE_COMPLETED")
        self.assert_no_trial_processes(within=0)

    def test_generator_usage_is_recorded_per_level(self):
        paths = self.result.files_of("MetricGenerator", test_id=TEST_ID)
        self.assertEqual(len(paths), 1)
        text = paths[0].read_text()
        for level in LEVELS:
            self.assertRegex(text, rf"(?m)^concurrency {level}: (valid|INVALID)[;:] .*; "
                                   rf"{level * REPORTS} reports sent; 0 workers, reported: "
                                   rf"in-process$")
        self.assertEqual(len(re.findall(r"(?m)^  local pid \d+: ", text)), len(LEVELS))
        for series in sweep_of(self.result).series:  # the same, as data
            check = series.generator
            self.assertEqual((check.workers, check.workers_reported), (0, []))
            self.assertEqual(check.reports_sent, series.concurrency * REPORTS)
            self.assertEqual([u.role for u in check.usage], ["local"])
            self.assertEqual(check.basis, "server")  # the stand-in exposes its timings
            self.assertIsNotNone(check.overhead_p50_ms)


class TestUnmanagedFailure(StandinCase):
    def test_a_refused_report_fails_the_level_and_names_why(self):
        self.set_faults([{"path": METRICS_POST, "method": "POST", "error_rate": 1.0,
                          "status": 500}])
        run = run_daist(MODULE + ".Test", timeout=120, env=self.env(
            DAIST_METRICS_TRIALS="unmanaged", DAIST_METRICS_CONCURRENCY="2"))
        self.assertEqual(run.returncode, 1, run.output)
        self.assertIn("answered HTTP 500", run.output)
        self.assertRegex(run.output, r"ended (STATE_)?ERROR")


if __name__ == "__main__":
    unittest.main()


class TestRetiredSetting(unittest.TestCase):
    def test_generator_processes_is_one_line_naming_locust_workers(self):
        run = run_daist(MODULE + ".Test", timeout=60,
                        env={"DAIST_METRICS_GENERATOR_PROCESSES": "2"})
        self.assertEqual(run.returncode, 2, run.output)
        self.assertNotIn("Traceback", run.output)
        (line,) = [l for l in run.stderr.splitlines() if "generator_processes" in l]
        self.assertIn("is retired: use [locust] workers (DAIST_LOCUST_WORKERS)", line)


class TestRealMasterGuard(unittest.TestCase):
    """With [metrics] trials empty, the metric tests never start trials on a real master."""

    def setup_with(self, environ: dict[str, str], *, is_standin: bool) -> None:
        from types import SimpleNamespace

        from daist.framework.settings import load_settings
        from daist.metrics.test_latency import Test

        test = Test("test")
        test.session = SimpleNamespace(settings=load_settings(environ=environ),
                                       target=SimpleNamespace(is_standin=is_standin))
        test.setUp()

    def test_skips_on_a_real_master_unless_trials_is_set(self):
        with self.assertRaises(unittest.SkipTest) as skipped:
            self.setup_with({}, is_standin=False)
        self.assertIn("DAIST_METRICS_TRIALS=unmanaged", str(skipped.exception))
        self.setup_with({"DAIST_METRICS_TRIALS": "unmanaged"}, is_standin=False)
        self.setup_with({"DAIST_METRICS_TRIALS": "managed"}, is_standin=False)
        self.setup_with({}, is_standin=True)

    def test_unmanaged_levels_reach_1000_unless_concurrency_is_set(self):
        from types import SimpleNamespace

        from daist.framework.settings import load_settings
        from daist.metrics.test_latency import Test

        test = Test("test")
        for environ, expected in (({"DAIST_METRICS_TRIALS": "unmanaged"}, [1, 10, 100, 1000]),
                                  ({"DAIST_METRICS_TRIALS": "unmanaged",
                                    "DAIST_METRICS_CONCURRENCY": "200"}, [200]),
                                  ({}, [32, 16, 8, 4, 2, 1])):
            test.session = SimpleNamespace(settings=load_settings(environ=environ))
            settings = test.session.settings.metrics
            self.assertEqual(test.levels_of(settings.concurrency), expected)
