import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

from daist.models.base import FormatError, open_artifact
from daist.models.metric_latency import (STATISTICS, Hist, LatencySeries, MetricLatencyOpHist,
                                         MetricLatencySweep, MetricPayloadOpHist, Observation)

KNOWN = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 8.0, 16.0, 120.0]


def make_series(level=2, *, trials=(1, 2), num_batches=3, metric_count=256, reads=None):
    observations = [Observation(t, i, enqueue_ms=0.1 * (i + 1), write_ms=1.0 + i + t,
                                visible_ms=2.0 + 2 * i + t, sent_unix=100.0 + t + i)
                    for t in trials for i in range(num_batches)]
    return LatencySeries(level=level, concurrency=len(trials), metric_count=metric_count,
                         num_batches=num_batches, experiment_id=7, trial_ids=list(trials),
                         spans={t: [100.0 + t, 110.0 + t] for t in trials},
                         observations=observations, reads=reads or {"read_trial": [3.0, 4.0]})


def make_sweep():
    return MetricLatencySweep(series=[make_series(2), make_series(1, trials=(5,))])


class TestHist(unittest.TestCase):
    def assert_matches_numpy(self, samples):
        hist = Hist(list(samples))
        array = np.asarray(samples, dtype=float)
        stats = hist.stats()
        self.assertEqual(stats["count"], len(samples))
        expected = {"min": array.min(), "max": array.max(), "mean": array.mean(),
                    "std": array.std(), "p50": np.percentile(array, 50),
                    "p90": np.percentile(array, 90), "p95": np.percentile(array, 95),
                    "p99": np.percentile(array, 99), "p99_9": np.percentile(array, 99.9)}
        for name, value in expected.items():
            self.assertAlmostEqual(stats[name], float(value), places=9, msg=name)
        self.assertAlmostEqual(hist.percentile(95), float(np.percentile(array, 95)), places=9)

    def test_statistics_equal_numpy_on_known_samples(self):
        self.assert_matches_numpy(KNOWN)
        stats = Hist(KNOWN).stats()
        self.assertEqual((stats["min"], stats["max"], stats["p50"]), (0.5, 120.0, 2.75))
        self.assertAlmostEqual(stats["mean"], 15.85)

    def test_statistics_equal_numpy_on_random_samples(self):
        rng = random.Random(4)
        self.assert_matches_numpy([rng.lognormvariate(1, 1) for _ in range(5000)])
        self.assert_matches_numpy([7.25])

    def test_empty_hist(self):
        stats = Hist().stats()
        self.assertEqual(stats["count"], 0)
        self.assertTrue(all(math.isnan(stats[k]) for k in STATISTICS[1:]))
        data = Hist().to_data()
        self.assertIsNone(data["p95"])
        json.dumps(data, allow_nan=False)

    def test_rejects_what_is_not_a_latency(self):
        for bad in (-1.0, math.nan, math.inf):
            with self.assertRaisesRegex(ValueError, r"Hist.samples\[1\]"):
                Hist([1.0, bad])
        with self.assertRaises(TypeError):
            Hist([True])
        with self.assertRaisesRegex(ValueError, r"samples\[2\]"):
            Hist([1.0, 2.0]).extend([-3.0])

    def test_extend_merges(self):
        hist = Hist(KNOWN[:4]).extend(Hist(KNOWN[4:])).extend([1.0])
        self.assertEqual(hist.samples, KNOWN + [1.0])

    def test_json_keeps_samples_and_derives_stats(self):
        data = Hist(KNOWN).to_data()
        self.assertEqual(data["samples"], KNOWN)
        self.assertEqual(set(data), {*STATISTICS, "samples"})
        data["p50"] = 999.0  # derived values are not trusted on load
        self.assertEqual(Hist.from_data(data).stats()["p50"], 2.75)


class TestObservation(unittest.TestCase):
    def test_visible_bounds_write_and_enqueue(self):
        Observation(1, 0, enqueue_ms=0.0, write_ms=0.0, visible_ms=0.0)
        with self.assertRaisesRegex(ValueError, "trial 1 report 4: write 3.0 ms exceeds visible"):
            Observation(1, 4, enqueue_ms=0.1, write_ms=3.0, visible_ms=2.0)
        with self.assertRaisesRegex(ValueError, "enqueue 5.0 ms exceeds visible"):
            Observation(1, 4, enqueue_ms=5.0, write_ms=1.0, visible_ms=2.0)
        with self.assertRaisesRegex(ValueError, "write_ms must be a finite number >= 0"):
            Observation(1, 4, enqueue_ms=0.1, write_ms=-1.0, visible_ms=2.0)
        with self.assertRaisesRegex(ValueError, "index"):
            Observation(1, -1, enqueue_ms=0.1, write_ms=1.0, visible_ms=2.0)

    def test_send_time_is_optional_unix_seconds(self):
        self.assertIsNone(Observation(1, 0, 0.1, 1.0, 2.0).sent_unix)
        self.assertEqual(Observation(1, 0, 0.1, 1.0, 2.0, sent_unix=1700000000).sent_unix,
                         1700000000.0)
        for bad in (0.0, -5.0, math.nan, math.inf, True, "1700000000"):
            with self.assertRaisesRegex(ValueError, "trial 1 report 0: sent_unix must be Unix"):
                Observation(1, 0, 0.1, 1.0, 2.0, sent_unix=bad)

    def test_immutable(self):
        with self.assertRaises(AttributeError):
            Observation(1, 0, 0.1, 1.0, 2.0).write_ms = 3.0


class TestLatencySeries(unittest.TestCase):
    def test_invariants(self):
        with self.assertRaisesRegex(ValueError, "trial 1 report 0 appears twice"):
            LatencySeries(level=1, concurrency=1, metric_count=4, num_batches=2,
                          observations=[Observation(1, 0, 0, 1, 2)] * 2)
        with self.assertRaisesRegex(ValueError, "beyond num_batches 2"):
            LatencySeries(level=1, concurrency=1, metric_count=4, num_batches=2,
                          observations=[Observation(1, 2, 0, 1, 2)])
        with self.assertRaisesRegex(ValueError, "trial 9 is not one of"):
            LatencySeries(level=1, concurrency=1, metric_count=4, num_batches=2, trial_ids=[1],
                          observations=[Observation(9, 0, 0, 1, 2)])
        with self.assertRaisesRegex(ValueError, "level must be the concurrency or"):
            LatencySeries(level=3, concurrency=1, metric_count=4, num_batches=2)
        with self.assertRaisesRegex(ValueError, "span of trial 1"):
            LatencySeries(level=1, concurrency=1, metric_count=4, num_batches=2,
                          spans={1: [5.0, 4.0]})

    def test_samples_missing_reports_and_peak(self):
        series = make_series()
        self.assertEqual(series.samples("write"), [2.0, 3.0, 4.0, 3.0, 4.0, 5.0])
        self.assertEqual(series.samples("read_trial"), [3.0, 4.0])
        self.assertEqual(series.operations, ["enqueue", "write", "visible", "read_trial"])
        self.assertEqual(series.missing_reports(), {})
        short = LatencySeries(level=2, concurrency=2, metric_count=1, num_batches=3,
                              trial_ids=[1, 2], observations=[Observation(1, 0, 0, 1, 2)])
        self.assertEqual(short.missing_reports(), {1: 2, 2: 3})
        self.assertEqual(series.peak_concurrency, 2)
        apart = LatencySeries(level=2, concurrency=2, metric_count=1, num_batches=1,
                              spans={1: [0.0, 1.0], 2: [2.0, 3.0]})
        self.assertEqual(apart.peak_concurrency, 1)

    def test_timed_and_started(self):
        series = make_series()
        self.assertTrue(series.timed)
        self.assertEqual(series.started_unix, 101.0)  # trial 1's span and first report
        untimed = LatencySeries(level=1, concurrency=1, metric_count=1, num_batches=2,
                                observations=[Observation(1, 0, 0, 1, 2, 50.0),
                                              Observation(1, 1, 0, 1, 2)])
        self.assertFalse(untimed.timed)  # one report without a time: the level is not timed
        self.assertEqual(untimed.started_unix, 50.0)
        self.assertIsNone(LatencySeries(level=1, concurrency=1, metric_count=1,
                                        num_batches=1).started_unix)

    def test_extend(self):
        series = make_series(trials=(1, 2))
        series.extend(make_series(trials=(3, 4), reads={"read_trial": [9.0]}))
        self.assertEqual(series.trial_ids, [1, 2, 3, 4])
        self.assertEqual(len(series.observations), 12)
        self.assertEqual(series.reads["read_trial"], [3.0, 4.0, 9.0])
        with self.assertRaisesRegex(ValueError, "cannot merge a series of setting"):
            series.extend(make_series(metric_count=1))
        with self.assertRaisesRegex(ValueError, "share trials"):
            series.extend(make_series(trials=(3, 9)))

    def test_add_reads_checks_values(self):
        series = make_series()
        series.add_reads({"read_training": [1.0, 2.0]})
        self.assertEqual(series.samples("read_training"), [1.0, 2.0])
        with self.assertRaisesRegex(ValueError, "read_training"):
            series.add_reads({"read_training": [-1.0]})


class TestSweepAndOpHist(unittest.TestCase):
    def test_sweep_sorts_merges_and_checks_its_axis(self):
        sweep = make_sweep()
        self.assertEqual([s.level for s in sweep.series], [1, 2])
        sweep.add(make_series(2, trials=(8, 9)))
        self.assertEqual(len(sweep.series), 2)
        self.assertEqual(sweep.series[1].trial_ids, [1, 2, 8, 9])
        with self.assertRaisesRegex(ValueError, "does not vary metric_count"):
            MetricLatencySweep(axis="metric_count", series=[make_series(2)])
        with self.assertRaisesRegex(ValueError, "two series at one level"):
            MetricLatencySweep(series=[make_series(2), make_series(2, trials=(3, 4))])

    def test_op_hist_from_sweep(self):
        op_hist = make_sweep().op_hist(parameters={"metric_count": 256, "num_batches": 3})
        self.assertIsInstance(op_hist, MetricLatencyOpHist)
        self.assertEqual(sorted(op_hist.operations), ["enqueue", "read_trial", "visible", "write"])
        self.assertEqual(op_hist.levels("write"), [1, 2])
        self.assertEqual(op_hist.operations["write"][2].samples, [2.0, 3.0, 4.0, 3.0, 4.0, 5.0])
        payload = MetricLatencySweep(axis="metric_count",
                                     series=[make_series(256, trials=(1,))]).op_hist()
        self.assertIsInstance(payload, MetricPayloadOpHist)
        self.assertEqual(payload.levels("visible"), [256])

    def test_rows_are_flat_and_stable(self):
        rows = make_sweep().op_hist().rows()
        self.assertEqual(len(rows), 8)
        self.assertEqual(list(rows[0]), ["operation", "concurrency", *STATISTICS])
        with self.assertRaisesRegex(ValueError, "axis must be 'metric_count'"):
            MetricPayloadOpHist(axis="concurrency")

    def test_add_merges_into_a_level(self):
        op_hist = MetricLatencyOpHist()
        op_hist.add("write", 4, Hist([1.0]))
        op_hist.add("write", 4, Hist([2.0]))
        self.assertEqual(op_hist.operations["write"][4].samples, [1.0, 2.0])


class TestFiles(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="daist-metric-latency-"))
        self.addCleanup(shutil.rmtree, self.dir)

    def test_round_trips(self):
        sweep = make_sweep()
        op_hist = sweep.op_hist(parameters={"metric_count": 256})
        for artifact in (sweep, op_hist):
            for suffix in ("json", "yaml"):
                name = f"{type(artifact).__name__}-Test.test-2024-07-29T18-49-42Z.{suffix}"
                path = artifact.save(self.dir / name)
                self.assertEqual(open_artifact(path).to_data(), artifact.to_data(), name)
        back = open_artifact(self.dir / "MetricLatencySweep-Test.test-2024-07-29T18-49-42Z.json")
        self.assertEqual(back.series[1].observations, sweep.series[1].observations)
        self.assertEqual(back.series[1].spans, sweep.series[1].spans)

    def test_json_shape(self):
        path = make_sweep().op_hist(parameters={"num_batches": 3}).save(
            self.dir / "MetricLatencyOpHist-x.json")
        data = json.loads(path.read_text())
        self.assertEqual((data["classname"], data["axis"], data["unit"]),
                         ("MetricLatencyOpHist", "concurrency", "ms"))
        self.assertEqual(data["parameters"], {"num_batches": 3})
        self.assertEqual(set(data["operations"]["write"]), {"1", "2"})
        self.assertEqual(data["operations"]["write"]["1"]["count"], 3)
        sweep = json.loads(make_sweep().save(self.dir / "MetricLatencySweep-x.json").read_text())
        columns = sweep["series"][0]["observations"]
        self.assertEqual(sorted(columns), sorted(["trial_id", "index", "enqueue_ms", "write_ms",
                                                  "visible_ms", "sent_unix"]))
        self.assertEqual(columns["sent_unix"], [105.0, 106.0, 107.0])  # level 1: trial 5

    def test_a_file_without_send_times_still_reads(self):
        path = make_sweep().save(self.dir / "MetricLatencySweep-x.json")
        data = json.loads(path.read_text())
        for series in data["series"]:
            del series["observations"]["sent_unix"]  # as daist wrote it before keeping them
        path.write_text(json.dumps(data))
        back = open_artifact(path)
        self.assertEqual({o.sent_unix for s in back.series for o in s.observations}, {None})
        self.assertFalse(back.series[0].timed)
        self.assertEqual(back.series[0].observations[0].write_ms, 6.0)
        data["series"][0]["observations"]["sent_unix"] = [1.0]  # present, but short
        path.write_text(json.dumps(data))
        with self.assertRaisesRegex(FormatError, "differ in length"):
            open_artifact(path)

    def test_refuses_to_overwrite_and_rejects_bad_files(self):
        path = make_sweep().save(self.dir / "MetricLatencySweep-x.json")
        with self.assertRaises(FileExistsError):
            make_sweep().save(path)
        make_sweep().save(path, replace=True)
        data = json.loads(path.read_text())
        data["series"][0]["observations"]["write_ms"][0] = 1e9  # beyond its visible
        path.write_text(json.dumps(data))
        with self.assertRaisesRegex(FormatError, "exceeds visible"):
            open_artifact(path)


class TestImports(unittest.TestCase):
    def test_models_do_not_import_plotting_or_locust(self):
        code = ("import sys, daist.models.metric_latency; "
                "print(sorted(m for m in ('matplotlib', 'locust', 'numpy') if m in sys.modules))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
                             timeout=60)
        self.assertEqual(out.stdout.strip(), "[]", out.stderr)
