"""daist.metrics.test_latency run as users run it (``python -m daist``) against a stand-in
master whose trials are real subprocesses using the real Core API."""
import io
import re
import time
import unittest

import matplotlib.image

from daist.models.base import Figure, open_artifact
from daist.models.metric_latency import MetricLatencyOpHist, MetricPayloadOpHist
from uts.harness import run_daist
from uts.metrics.support import (METRICS_POST, MODULE, TEST_ID, StandinCase, artifact,
                                 experiment_ids, sweep_of)

PAYLOAD_ID = f"{MODULE}.TestPayload.test"
OPERATIONS = {"enqueue", "write", "visible", "read_training", "read_validation",
              "read_time_series", "read_trial"}


class TestSweep(StandinCase):
    """One run of both tests: a concurrency sweep of 1 and 2 and a payload sweep of 1 and 16
    metrics per report (a third size is over the guard)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        started = time.monotonic()
        cls.daist = run_daist(MODULE, timeout=240, env={
            "DET_MASTER": cls.url, "DAIST_METRICS_CONCURRENCY": "1,2",
            "DAIST_REPORT_LEVEL_PLOTS": "true",  # the opt-in per-level PNGs
            "DAIST_METRICS_NUM_BATCHES": "6", "DAIST_METRICS_METRIC_COUNT": "8",
            "DAIST_METRICS_READS": "2", "DAIST_METRICS_METRIC_COUNTS": "1,16,100000",
            "DAIST_METRICS_MAX_METRIC_COUNT": "64", "DAIST_METRICS_PAYLOAD_NUM_BATCHES": "3"})
        cls.seconds = time.monotonic() - started
        cls.result = cls.daist.result if cls.daist.results_dir else None

    def test_passes(self):
        self.assertEqual(self.daist.returncode, 0, self.daist.output)
        self.assertEqual(self.result.tests[TEST_ID].status, "passed")
        self.assertEqual(self.result.tests[PAYLOAD_ID].status, "passed")

    def test_every_report_is_measured_and_visible_bounds_write(self):
        sweep = sweep_of(self.result)
        self.assertEqual([s.level for s in sweep.series], [1, 2])
        for series in sweep.series:
            self.assertTrue(series.complete)
            self.assertEqual(len(series.trial_ids), series.concurrency)
            self.assertEqual(len(series.observations), series.concurrency * 6)
            self.assertEqual(series.missing_reports(), {})
            for obs in series.observations:
                self.assertGreaterEqual(obs.write_ms, 0)
                self.assertGreaterEqual(obs.visible_ms, obs.write_ms)
                self.assertGreaterEqual(obs.visible_ms, obs.enqueue_ms)
            for name in OPERATIONS - {"enqueue", "write", "visible"}:
                self.assertEqual(len(series.reads[name]), series.concurrency * 2, name)
            self.assertEqual(set(series.spans), set(series.trial_ids))
        for experiment_id in experiment_ids(self.daist.stdout):
            self.assertEqual(self.experiment_state(experiment_id), "STATE_COMPLETED")
        self.assertEqual(len(experiment_ids(self.daist.stdout)), 4)

    def test_send_times_lie_in_the_level_and_grow_per_trial(self):
        for series in sweep_of(self.result).series:
            self.assertTrue(series.timed)
            start = min(span[0] for span in series.spans.values())
            end = max(span[1] for span in series.spans.values())
            for trial_id in series.trial_ids:
                sent = [o.sent_unix for o in sorted(series.observations, key=lambda o: o.index)
                        if o.trial_id == trial_id]
                self.assertEqual(len(sent), 6)
                self.assertTrue(all(start <= t <= end for t in sent), (start, sent, end))
                self.assertEqual(sent, sorted(sent))

    def test_progress_shows_reports_done_reaching_the_total(self):
        for level in (1, 2):
            self.assertRegex(self.daist.stderr, rf"\[metrics concurrency {level}\] [^\n]* \| "
                             rf"reports {6 * level}/{6 * level} \|[^\n]*\| done\n")

    def test_histograms_json_and_table(self):
        op_hist = artifact(self.result, "MetricLatencyOpHist")
        self.assertIsInstance(op_hist, MetricLatencyOpHist)
        self.assertEqual(set(op_hist.operations), OPERATIONS)
        self.assertEqual(op_hist.parameters, {"metric_count": 8, "num_batches": 6})
        self.assertEqual(op_hist.operations["write"][2].count, 12)
        sweep = sweep_of(self.result)
        self.assertEqual(op_hist.operations["visible"][1].samples, sweep.series[0].samples("visible"))
        tables = [p for p in self.result.files_of("MetricLatencyOpHist", test_id=TEST_ID)
                  if p.suffix == ".txt"]
        self.assertEqual(len(tables), 1)
        text = open_artifact(tables[0]).text
        self.assertRegex(text, r"(?m)^write\s+2\s+12\s")
        self.assertIn("metric latencies (ms)", self.daist.stdout)

    def test_plots_are_pngs_that_open(self):
        hists = self.result.files_of("Hist", test_id=TEST_ID)
        self.assertEqual(len(hists), len(OPERATIONS) * 2)
        tags = {tuple(p.name.split("-")[2:4]) for p in hists}
        self.assertEqual(tags, {(op, str(level)) for op in OPERATIONS for level in (1, 2)})
        percentiles = [p for p in self.result.files_of("MetricLatencyOpHist", test_id=TEST_ID)
                       if p.suffix == ".png"]
        self.assertEqual(len(percentiles), len(OPERATIONS))
        for path in hists + percentiles:
            figure = open_artifact(path)
            self.assertIsInstance(figure, Figure)
            image = matplotlib.image.imread(io.BytesIO(figure.png), format="png")
            self.assertEqual(image.shape[:2], (500, 800), path.name)

    def test_manifest_records_everything_with_the_test_id(self):
        for classname in ("MetricLatencySweep", "MetricLatencyOpHist", "Hist"):
            for path in self.result.files_of(classname, test_id=TEST_ID):
                self.assertTrue(path.is_file(), path)
        recorded = {self.result.relative(p) for p in self.daist.results_dir.rglob("*-Test.test-*")}
        self.assertTrue(recorded)
        self.assertTrue(recorded <= set(self.result.files), recorded - set(self.result.files))

    def test_payload_sweep_and_its_guard(self):
        op_hist = artifact(self.result, "MetricPayloadOpHist", test_id=PAYLOAD_ID)
        self.assertIsInstance(op_hist, MetricPayloadOpHist)
        self.assertEqual(op_hist.levels("write"), [1, 16])
        self.assertEqual(op_hist.parameters, {"concurrency": 1, "num_batches": 3})
        self.assertEqual(op_hist.operations["visible"][16].count, 3)
        skipped = self.result.tests[f"{PAYLOAD_ID} (metric_count=100000)"]
        self.assertEqual(skipped.status, "skipped")
        self.assertIn("100000 metrics per report exceeds [metrics] max_metric_count 64",
                      skipped.message)


class TestFailures(StandinCase):
    def test_a_crashing_trial_fails_with_its_experiment_and_log(self):
        self.set_faults([{"path": METRICS_POST, "method": "POST", "error_rate": 1.0,
                          "status": 500}])
        run = run_daist(MODULE + ".Test", env=self.env(), timeout=120)
        self.assertEqual(run.returncode, 1, run.output)
        record = run.result.tests[TEST_ID]
        self.assertEqual(record.status, "failed")
        experiment_id = experiment_ids(run.stdout)[0]
        trial = re.search(r"trial (\d+) ERROR", record.message)
        self.assertIsNotNone(trial, record.message)
        self.assertIn(f"concurrency 1: experiment {experiment_id} ended ERROR", record.message)
        self.assertRegex(record.message, rf"trial {trial[1]}: .*POST of training report 1 "
                                         r"answered HTTP 500")
        self.assertIn(f"log tail of trial {trial[1]}:", run.stderr)
        self.assertEqual(len(experiment_ids(run.stdout)), 1)  # the sweep stopped at level 1

    def test_timeout_fails_and_kills_the_experiment(self):
        self.set_faults([{"path": METRICS_POST, "method": "POST", "hang": True}])
        started = time.monotonic()
        run = run_daist(MODULE + ".Test", env=self.env(DAIST_METRICS_TIMEOUT="3",
                                                      DAIST_METRICS_CONCURRENCY="2"), timeout=120)
        self.assertLess(time.monotonic() - started, 90)
        self.assertEqual(run.returncode, 1, run.output)
        experiment_id = experiment_ids(run.stdout)[0]
        message = run.result.tests[TEST_ID].message
        self.assertIn(f"concurrency 2: experiment {experiment_id} did not finish within 3 s "
                      "(state RUNNING); killed it (now CANCELED)", message)
        self.assertRegex(message, r"trial \d+ CANCELED, trial \d+ CANCELED")
        self.assertEqual(self.experiment_state(experiment_id), "STATE_CANCELED")
        self.assert_no_trial_processes()
        # the summary is written whatever the ending (here: nothing was measured)
        self.assertEqual(sweep_of(run.result).series, [])


if __name__ == "__main__":
    unittest.main()
