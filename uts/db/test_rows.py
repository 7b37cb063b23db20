"""daist.db.rows: artifacts of a results directory to row values, without a database."""
from __future__ import annotations

import json
import math
import unittest

from daist.db.rows import RunRow, collect_test, uploadable_tests
from daist.models.db import PerfTestRun
from daist.models.percentiles import told, told_stats
from daist.models.timestamp import Timestamp
from uts.db.support import (METRICS_TEST, PAYLOAD_TEST, RO_TEST, make_saved_run, remove,
                            reopen)


class TestCollect(unittest.TestCase):
    def setUp(self):
        self.run = make_saved_run()
        self.addCleanup(remove, self.run)
        self.result = reopen(self.run)

    def test_tests_with_data_artifacts_in_manifest_order(self):
        # test_target has no data artifact; the TXT rendering named LocustStatsList is no data
        self.assertEqual(uploadable_tests(self.result), [RO_TEST, METRICS_TEST, PAYLOAD_TEST])
        empty = collect_test(self.result, "daist.test_target.Test.test_version")
        self.assertTrue(empty.empty)
        self.assertEqual(empty.skipped, [])

    def test_historical_rows_are_the_models_rows(self):
        batch = collect_test(self.result, RO_TEST)
        self.assertEqual(len(batch.loads), 1)
        load = batch.loads[0]
        self.assertTrue(load.artifact.startswith("LocustStatsList-TestRO.test-"))
        self.assertTrue(load.artifact.endswith(".json"))
        recorded = self.result.files[load.artifact].time
        expected = PerfTestRun.of(self.run.stats, commit="1a2b3c4d5e6f7", branch="main",
                                  time=recorded)
        self.assertEqual(load.legacy_run, expected.run)
        self.assertEqual(load.legacy_run.time, Timestamp(int(recorded.unix)))
        legacy = sorted((e.legacy for e in load.endpoints if e.legacy), key=lambda r: r.test_name)
        self.assertEqual(legacy, sorted(expected.tests, key=lambda r: r.test_name))
        # the endpoint without requests gets a daist row but no historical one
        by_name = {e.values["test_name"]: e for e in load.endpoints}
        self.assertIsNone(by_name["get master"].legacy)
        self.assertEqual(by_name["get master"].values["num_requests"], 0)

    def test_endpoint_and_load_values_are_the_artifacts(self):
        load = collect_test(self.result, RO_TEST).loads[0]
        for entry, row in zip(self.run.stats.entries, load.endpoints):
            values = row.values
            self.assertEqual((values["test_name"], values["method"], values["path"]),
                             (entry.test_name, entry.method, entry.path))
            for name in ("p95", "p99", "p99.9"):   # a percentile too few samples tell: NULL
                key = f"{name.replace('.', '')}_ms"
                want = entry.hdr.percentile(name) if told(name, entry.hdr.count) else None
                self.assertEqual(values[key], want, (entry.hdr.count, name))
            self.assertEqual(values["rps"], entry.rps)
            self.assertEqual(values["hdr_encoded"], entry.hdr_encoded)
            self.assertEqual(values["failures"], entry.failures)
        info = self.run.stats.run
        self.assertEqual(load.values["users"], info.plan.shape.users)
        self.assertEqual(load.values["window_s"], info.window_s)
        self.assertEqual(load.values["window_end"], info.window_end.datetime)
        self.assertEqual([s["users"] for s in load.steps], [1, 2, 4])
        self.assertEqual([s["knee"] for s in load.steps], [False, False, True])

    def test_metric_rows_fill_both_axes(self):
        (concurrency,) = collect_test(self.result, METRICS_TEST).metrics
        expected = [told_stats(row) for row in self.run.op_hist.rows()]
        self.assertTrue(any(math.isnan(row["p99"]) and row["count"] for row in expected))
        self.assertEqual(len(concurrency.rows), len(expected))
        for row, want in zip(concurrency.rows, expected):
            self.assertEqual((row["operation"], row["level"], row["concurrency"]),
                             (want["operation"], want["concurrency"], want["concurrency"]))
            self.assertEqual(row["metric_count"], 8)             # from the parameters
            self.assertEqual(row["count"], want["count"])
            for name in ("min", "max", "mean", "std", "p50", "p90", "p95", "p99", "p99_9"):
                if math.isnan(want[name]):
                    self.assertIsNone(row[name])                 # NULL, not NaN
                else:
                    self.assertEqual(row[name], want[name])
        (payload,) = collect_test(self.result, PAYLOAD_TEST).metrics
        self.assertEqual(payload.values["axis"], "metric_count")
        self.assertEqual({(r["metric_count"], r["concurrency"]) for r in payload.rows},
                         {(1, 1), (256, 1)})

    def test_run_identity_survives_the_manifest_round_trip(self):
        live, saved = RunRow.of(self.run.result), RunRow.of(self.result)
        identity = ("host_label", "start_time", "settings_digest")
        self.assertEqual([getattr(live, n) for n in identity],
                         [getattr(saved, n) for n in identity])
        self.assertEqual(saved.host_label, "standin")


class TestUnreadable(unittest.TestCase):
    """Each bad file is named and left out; the others still map."""

    def setUp(self):
        self.run = make_saved_run()
        self.addCleanup(remove, self.run)
        self.result = reopen(self.run)
        self.stats_path = self.result.files_of("LocustStatsList", test_id=RO_TEST)[0]
        self.hist_path = self.result.files_of("MetricLatencyOpHist", test_id=METRICS_TEST)[0]

    def rewrite(self, path, change):
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    def test_truncated_json(self):
        raw = self.stats_path.read_bytes()
        self.stats_path.write_bytes(raw[: len(raw) // 2])
        batch = collect_test(self.result, RO_TEST)
        self.assertEqual(batch.loads, [])
        self.assertEqual([s.path for s in batch.skipped], [self.stats_path])
        self.assertIn(self.stats_path.name, str(batch.skipped[0]))
        self.assertFalse(collect_test(self.result, METRICS_TEST).skipped)

    def test_values_that_do_not_fit_the_columns(self):
        cases = {
            "count beyond bigint": lambda d: d["entries"][0].update(num_requests=2**70),
            "users beyond integer": lambda d: d["run"]["plan"]["shape"].update(users=2**40),
            "users beyond integer in an old flat record": lambda d: d.update(
                run={"shape": "closed", "users": 2**40}),
            "NUL in a name": lambda d: d["entries"][1].update(test_name="get\x00trial"),
            "wrong type": lambda d: d["entries"][0]["hdr"].update(p95_ms="fast"),
            "not an object": lambda d: d.update(entries=[["get experiments"]]),
            "duplicate endpoint": lambda d: d["entries"].append(d["entries"][0]),
        }
        original = self.stats_path.read_text()
        for name, change in cases.items():
            with self.subTest(name):
                self.stats_path.write_text(original)
                self.rewrite(self.stats_path, change)
                batch = collect_test(self.result, RO_TEST)
                self.assertEqual(batch.loads, [])
                self.assertEqual([s.path for s in batch.skipped], [self.stats_path])

    def test_missing_file_and_bad_samples(self):
        self.stats_path.unlink()
        self.assertEqual(len(collect_test(self.result, RO_TEST).skipped), 1)
        self.rewrite(self.hist_path, lambda d: d["operations"]["write"]["1"].update(
            samples=[1.0, -2.0]))
        batch = collect_test(self.result, METRICS_TEST)
        self.assertEqual((batch.metrics, [s.path for s in batch.skipped]), ([], [self.hist_path]))


if __name__ == "__main__":
    unittest.main()
