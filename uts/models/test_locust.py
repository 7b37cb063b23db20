import random
import tempfile
import unittest
from pathlib import Path

from daist.models.base import Format, open_artifact
from daist.models.locust import (HDR_HIGHEST_US, HDR_LOWEST_US, HdrSummary, LocustCsv,
                                 LocustEntry, LocustReport, LocustStatsList, ResourceProfile,
                                 decode_histogram, encode_histogram, new_histogram, record_ms)
from uts.rest_api.factories import make_entry, make_stats, nearest_rank



class TestLocustStatsList(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="daist-locust-model-"))

    def test_round_trip_in_every_data_format(self):
        stats = make_stats(make_entry("get experiments"), make_entry("get trial", failures=3))
        for fmt in (Format.JSON, Format.YAML):
            path = stats.save(self.dir / LocustStatsList.filename(tags=("TestRO.test",), fmt=fmt))
            loaded = open_artifact(path)
            self.assertIsInstance(loaded, LocustStatsList)
            self.assertEqual(loaded, stats, fmt)
            self.assertEqual(loaded.entry("get trial").failures, {"HTTPError: 500 Server Error": 3})
            self.assertEqual(loaded.run.window_s, 20.0)

    def test_refuses_to_overwrite(self):
        stats = make_stats()
        path = stats.save(self.dir / "LocustStatsList-x.json")
        with self.assertRaises(FileExistsError):
            stats.save(path)

    def test_hdr_summary_is_within_a_tenth_of_a_percent(self):
        values = [random.lognormvariate(2.0, 0.8) for _ in range(20_000)]
        hdr = make_entry(latencies=values).hdr
        for key, p in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("p99.9", 99.9)):
            exact = nearest_rank(values, p)
            self.assertAlmostEqual(hdr.percentile(key), exact, delta=exact * 0.002, msg=key)
        self.assertEqual(hdr.count, len(values))

    def test_mean_is_hdrhistograms_own(self):
        entry = make_entry(latencies=[random.lognormvariate(2.0, 0.8) for _ in range(5000)])
        histogram = entry.histogram()
        self.assertEqual(entry.hdr.mean_ms, round(histogram.get_mean_value() / 1000.0, 3))

    def test_extend_merges_counts_histograms_and_failures(self):
        first_values = [1.0] * 100
        second_values = [100.0] * 300
        mine = make_stats(make_entry("get trial", latencies=first_values, failures=2))
        other = make_stats(make_entry("get trial", latencies=second_values, failures=5),
                           make_entry("get me", latencies=[3.0] * 10))
        mine.extend(other)
        trial = mine.entry("get trial")
        self.assertEqual((trial.num_requests, trial.num_failures), (400, 7))
        self.assertEqual(trial.failures, {"HTTPError: 500 Server Error": 7})
        self.assertAlmostEqual(trial.hdr.p50_ms, 100.0, delta=0.1)   # 300 of 400 at 100 ms
        self.assertAlmostEqual(trial.hdr.min_ms, 1.0, delta=0.01)
        self.assertEqual(decode_histogram(trial.hdr_encoded).get_total_count(), 400)
        self.assertEqual(trial.locust.num_requests, 400)
        self.assertEqual(trial.locust.response_times, {1: 100, 100: 300})
        self.assertEqual(trial.rps, 20.0)                          # 400 over the 20 s window
        self.assertEqual(mine.entry("get me").num_requests, 10)
        self.assertEqual(mine.num_requests, 410)

    def test_total_row_and_ratios(self):
        stats = make_stats(make_entry("a", latencies=[1.0] * 90, failures=9),
                           make_entry("b", latencies=[2.0] * 10, failures=1))
        total = stats.total()
        self.assertEqual(total.num_requests, 100)
        self.assertAlmostEqual(stats.fail_ratio, 0.1)
        self.assertAlmostEqual(stats.rps, 5.0)
        self.assertEqual(total.hdr.count, 100)

    def test_locust_entry_takes_serialize_output_with_float_keys(self):
        raw = {"name": "get me", "method": "GET", "num_requests": 3, "response_times": {0.0: 2, 12: 1},
               "num_reqs_per_sec": {1722278982: 3}, "unknown_future_key": 1,
               "min_response_time": 0.2, "max_response_time": 12.4}
        entry = LocustEntry.from_locust(raw)
        self.assertEqual(entry.response_times, {0: 2, 12: 1})
        self.assertEqual(entry.num_reqs_per_sec, {1722278982: 3})

    def test_empty_histogram_summary(self):
        self.assertEqual(HdrSummary.of(decode_histogram("")), HdrSummary())


class TestOtherLocustArtifacts(unittest.TestCase):
    def test_profile_and_reports_open_by_classname(self):
        folder = Path(tempfile.mkdtemp(prefix="daist-locust-model-"))
        profile = ResourceProfile(source="ci", experiment_id=100, model_version=1, rbac=True)
        path = profile.save(folder / ResourceProfile.filename(tags=("TestRO.test",)))
        self.assertEqual(open_artifact(path), profile)
        self.assertEqual(profile.values()["experiment_id"], 100)
        csv_path = LocustCsv(rows=[["Type", "Name"], ["GET", "get me"]]).save(
            folder / LocustCsv.filename(tags=("stats",), fmt=Format.CSV))
        self.assertEqual(open_artifact(csv_path).records(), [{"Type": "GET", "Name": "get me"}])
        html = LocustReport(text="<html></html>").save(folder / LocustReport.filename())
        self.assertTrue(html.name.endswith(".html"))
        self.assertEqual(open_artifact(html).text, "<html></html>")


class TestRecordMs(unittest.TestCase):
    """``record_ms`` in bulk leaves an HDR histogram as HdrHistogram's own ``record_value``
    does, value by value: every bucket edge of the range, clamping, rounding half to even."""

    def test_bulk_equals_one_by_one(self):
        edges = [(2 ** e + d) / 1000.0 for e in range(0, 33) for d in (-1, 0, 1)]
        values = edges + [0.0, 0.0004, 0.0005, 0.0015, 0.0025, 3.6e6, 3.6e6 + 0.001, 4e9] + \
            [random.Random(7).lognormvariate(1.0, 3.0) for _ in range(20_000)]
        one_by_one, bulk = new_histogram(), new_histogram()
        for value in values:
            micros = int(round(value * 1000.0))
            one_by_one.record_value(min(max(micros, HDR_LOWEST_US), HDR_HIGHEST_US))
        record_ms(bulk, values[:100])
        record_ms(bulk, values[100:])
        record_ms(bulk, [])
        self.assertEqual(list(bulk.counts), list(one_by_one.counts))
        self.assertEqual((bulk.total_count, bulk.min_value, bulk.max_value),
                         (one_by_one.total_count, one_by_one.min_value, one_by_one.max_value))
        self.assertEqual(encode_histogram(bulk), encode_histogram(one_by_one))


if __name__ == "__main__":
    unittest.main()
