import json
import math
import unittest

from daist.models.locust import StepPoint
from daist.report.compare import (IMPROVEMENT, NOT_JUDGED, NOT_SIGNIFICANT, NOT_TESTABLE,
                                  REGRESSION, WITHIN, CompareResult, Thresholds, compare_runs)
from daist.report.compare_render import render_text
from daist.report.loader import load_run
from daist.report.stats import TestOutcome
from uts.report.factories import (LOAD_TEST, METRIC_TEST, latencies, make_entry, make_op_hist,
                                  make_run_dir, make_stats, run_pair)

ENDPOINTS = [f"get thing {i:02d}" for i in range(8)]  # (HdrSummary.of costs ~80 ms each)


def load_runs(**kwargs) -> list:
    return [load_run(directory, figures=False) for directory in run_pair(ENDPOINTS, **kwargs)]


def flagged(comparison) -> list[str]:
    return [row.name for row in comparison.regressions]


class TestEndpointRegressions(unittest.TestCase):
    def test_one_endpoint_30_percent_slower_is_the_only_regression(self):
        comparison = compare_runs(*load_runs(slow={"get thing 03": 1.3}))
        self.assertEqual(flagged(comparison), ["GET get thing 03"])
        row = comparison.regressions[0]
        # 600 samples a side: p99 is testable (6 beyond it expected) but the test is weak there
        self.assertEqual([r.metric for r in row.results if r.regression], ["p50", "p95"])
        self.assertEqual(row.results[2].verdict, NOT_SIGNIFICANT)
        p50 = row.results[0]
        self.assertAlmostEqual(p50.ratio, 1.3, delta=0.05)
        self.assertRegex(p50.wording, r"^1\.[23]\dx slower$")
        self.assertLess(p50.p_adjusted, 1e-6)
        self.assertTrue(comparison.comparability.comparable)

    def test_runs_without_a_change_have_no_regression(self):
        for seed in range(1, 4):  # three independent pairs: no false alarm in any
            comparison = compare_runs(*load_runs(seed=seed))
            self.assertEqual(flagged(comparison), [], render_text(comparison))
            self.assertFalse(any(row.changed for row in comparison.rows))

    def test_faster_is_an_improvement_not_a_regression(self):
        comparison = compare_runs(*load_runs(slow={"get thing 05": 0.6}))
        self.assertEqual(flagged(comparison), [])
        row = next(r for r in comparison.rows if r.name == "GET get thing 05")
        self.assertEqual(row.results[0].verdict, IMPROVEMENT)
        self.assertRegex(row.results[0].wording, r"x faster$")

    def test_a_change_below_the_noise_floor_is_not_a_regression(self):
        # +30% of 2 ms is 0.6 ms: significant with 300 samples, but under the 5 ms floor
        comparison = compare_runs(*load_runs(slow={"get thing 01": 1.3}, base_ms=2.0))
        self.assertEqual(flagged(comparison), [])
        row = next(r for r in comparison.rows if r.name == "GET get thing 01")
        self.assertLess(row.results[0].p_adjusted, 0.05)
        self.assertEqual(row.results[0].verdict, WITHIN)
        # with the floor lowered, it counts
        lowered = compare_runs(*load_runs(slow={"get thing 01": 1.3}, base_ms=2.0),
                               thresholds=Thresholds(noise_floor_ms=0.1))
        self.assertEqual(flagged(lowered), ["GET get thing 01"])

    def test_a_change_below_min_change_is_not_a_regression(self):
        comparison = compare_runs(*load_runs(slow={"get thing 02": 1.3}),
                                  thresholds=Thresholds(min_change=0.5))
        self.assertEqual(flagged(comparison), [])

    def test_too_few_samples_is_not_testable_never_a_regression(self):
        comparison = compare_runs(*load_runs(slow={"get thing 04": 2.0}, n=4))
        self.assertEqual(flagged(comparison), [])
        row = next(r for r in comparison.rows if r.name == "GET get thing 04")
        self.assertEqual(row.results[0].verdict, NOT_TESTABLE)
        self.assertIn("Not testable", render_text(comparison))

    def test_a_short_run_tests_its_median_not_its_tail(self):
        comparison = compare_runs(*load_runs(slow={"get thing 04": 1.5}, n=60))
        self.assertEqual(flagged(comparison), ["GET get thing 04"])
        p50, p95, p99 = comparison.regressions[0].results[:3]
        self.assertEqual((p50.verdict, p95.verdict, p99.verdict),
                         (REGRESSION, NOT_TESTABLE, NOT_TESTABLE))
        self.assertIn("GET get thing 04 p99: too few samples for p99 (60 vs 60; a test needs 500)",
                      render_text(comparison))

    def test_failure_ratio_regression(self):
        comparison = compare_runs(*load_runs(failures={"get thing 06": 60}))
        # 60 of 600 on one endpoint, and 60 of 4,800 (1.25%, over the 1 point floor) in all
        self.assertEqual(flagged(comparison), ["GET get thing 06", "all endpoints"])
        fail = next(r for r in comparison.regressions[0].results if r.metric == "fail")
        self.assertEqual((fail.base, fail.cand), (0.0, 0.1))
        self.assertEqual(fail.wording, "+10.0 pts failed")
        total = next(r for r in comparison.regressions[1].results if r.metric == "fail")
        self.assertEqual(total.cand, 60 / (600 * len(ENDPOINTS)))
        self.assertEqual([r.metric for r in comparison.regressions[1].results if r.regression], ["fail"])

    def test_holm_correction_counts_every_test(self):
        comparison = compare_runs(*load_runs())
        tested = [r for r in comparison.results() if r.p_adjusted is not None]
        self.assertEqual(comparison.tests_run, len(tested))
        # 3 latencies and the failure ratio per endpoint (its req/s is not judged in a closed
        # loop), req/s and failures of the total
        self.assertEqual(len(tested), len(ENDPOINTS) * 4 + 2)
        for result in tested:
            self.assertGreaterEqual(result.p_adjusted, result.outcome.p_value)

    def test_geometric_mean_needs_two_rows(self):
        comparison = compare_runs(*load_runs(slow={name: 1.2 for name in ENDPOINTS}))
        ratio, rows = comparison.geometric_means()["p50"]
        self.assertEqual(rows, len(ENDPOINTS))
        self.assertAlmostEqual(ratio, 1.2, delta=0.03)
        entry = make_entry("only", latencies(10, 50, seed=1))
        single = [load_run(make_run_dir(locust={LOAD_TEST: make_stats(entry)}), figures=False)
                  for _ in range(2)]
        self.assertEqual(compare_runs(*single).geometric_means(), {})

    def test_endpoints_in_one_run_only_are_listed(self):
        base, cand = (load_run(make_run_dir(locust={LOAD_TEST: make_stats(*entries)}), figures=False)
                      for entries in ([make_entry("a", latencies(5, 50, seed=1)),
                                       make_entry("b", latencies(5, 50, seed=2))],
                                      [make_entry("a", latencies(5, 50, seed=3)),
                                       make_entry("c", latencies(5, 50, seed=4))]))
        comparison = compare_runs(base, cand)
        self.assertEqual([r.name for r in comparison.rows], ["GET a", "all endpoints"])
        self.assertEqual(comparison.unmatched, ["TestRO.test: GET b has no requests in the candidate",
                                                "TestRO.test: GET c has no requests in the baseline"])


class TestRawData(unittest.TestCase):
    def pair(self, *, keep_histogram: bool) -> list:
        directories = [make_run_dir(locust={LOAD_TEST: make_stats(make_entry(
            "get x", latencies(40 * factor, 300, seed=seed), keep_histogram=keep_histogram))})
            for seed, factor in ((1, 1.0), (2, 1.3))]
        return directories

    def test_without_histograms_the_thresholds_decide(self):
        comparison = compare_runs(*(load_run(d, figures=False) for d in self.pair(keep_histogram=False)))
        self.assertEqual(flagged(comparison), ["GET get x"])
        p50 = comparison.rows[0].results[0]
        self.assertEqual((p50.outcome.reason, p50.p_adjusted, p50.verdict), ("no raw data", None, REGRESSION))

    def test_a_damaged_histogram_is_named_and_its_row_not_tested(self):
        base, cand = self.pair(keep_histogram=True)
        (path,) = cand.glob("LocustStatsList-*.json")
        data = json.loads(path.read_text())
        data["entries"][0]["hdr_encoded"] = "HISTFAAAAB" + "x" * 40
        path.write_text(json.dumps(data))
        comparison = compare_runs(load_run(base, figures=False), load_run(cand, figures=False))
        self.assertEqual(len(comparison.notes), 1)
        self.assertTrue(comparison.notes[0].startswith(f"{path.name}: the HDR histogram of 'get x' is unreadable"))
        self.assertEqual(flagged(comparison), [])
        self.assertEqual(comparison.rows[0].results[0].verdict, NOT_TESTABLE)
        self.assertIn(comparison.notes[0], render_text(comparison))


class TestThroughput(unittest.TestCase):
    def compare(self, counts, *, users=4, shape="closed", window_s=20.0):
        """Two runs of endpoints a and b with (baseline, candidate) request counts."""
        runs = []
        for side in (0, 1):
            entries = [make_entry(name, latencies(5, pair[side], seed=side * 10 + i), window_s=window_s)
                       for i, (name, pair) in enumerate(counts.items())]
            stats = make_stats(*entries, users=users, shape=shape, window_s=window_s)
            runs.append(load_run(make_run_dir(locust={LOAD_TEST: stats}), figures=False))
        return compare_runs(*runs)

    def rps(self, comparison, name):
        row = next(r for r in comparison.rows if r.name == name)
        return next(r for r in row.results if r.metric == "rps")

    def test_closed_loop_endpoint_rps_is_shown_not_judged(self):
        comparison = self.compare({"a": (2000, 1000), "b": (2000, 2000)}, users=40)
        self.assertEqual(self.rps(comparison, "GET a").verdict, NOT_JUDGED)
        self.assertIsNone(self.rps(comparison, "GET a").p_adjusted)
        self.assertLess(self.rps(comparison, "GET a").outcome.p_value, 1e-6)
        # the total: 4,000 -> 3,000 requests in 20 s with 40 users: 200 -> 267 ms per request
        total = self.rps(comparison, "all endpoints")
        self.assertEqual(total.floor_pair, (200.0, 800 / 3))
        self.assertEqual(total.verdict, REGRESSION)
        self.assertEqual(flagged(comparison), ["all endpoints"])

    def test_closed_loop_total_within_the_noise_floor(self):
        # 2 users at 200 requests/s: 10 ms per request; 25% fewer requests is +3.3 ms
        comparison = self.compare({"a": (4000, 3000)}, users=2)
        total = self.rps(comparison, "all endpoints")
        self.assertLess(total.p_adjusted, 1e-6)
        self.assertEqual(total.verdict, WITHIN)
        self.assertEqual(flagged(comparison), [])

    def test_open_shape_judges_every_rps(self):
        comparison = self.compare({"a": (2000, 1000), "b": (2000, 2000)}, shape="open")
        self.assertEqual(self.rps(comparison, "GET a").verdict, REGRESSION)
        self.assertEqual(self.rps(comparison, "GET b").verdict, WITHIN)
        self.assertIsNone(self.rps(comparison, "all endpoints").floor_pair)
        self.assertEqual(flagged(comparison), ["GET a", "all endpoints"])


class TestOtherRows(unittest.TestCase):
    def test_metric_latency_level_regression(self):
        runs = []
        for side in (0, 1):
            levels = {level: {"write": latencies(30, 128, seed=side * 10 + level) *
                              (1.3 if side and level == 4 else 1.0),
                              "visible": latencies(80, 128, seed=side * 10 + level + 5)}
                      for level in (1, 2, 4)}
            runs.append(load_run(make_run_dir(metrics={METRIC_TEST: make_op_hist(levels)}),
                                 figures=False))
        comparison = compare_runs(*runs)
        self.assertEqual(flagged(comparison), ["write @ concurrency 4"])
        self.assertEqual({r.kind for r in comparison.rows}, {"metric"})
        self.assertEqual(len(comparison.rows), 6)

    def test_sweep_steps_are_judged_by_thresholds_alone(self):
        entry = make_entry("a", latencies(5, 50, seed=1))
        runs = [load_run(make_run_dir(locust={LOAD_TEST: make_stats(entry, shape="steps", steps=[
            StepPoint(users=1, rps=100, p95_ms=10, num_requests=1000),
            StepPoint(users=8, rps=400, p95_ms=p95, num_requests=4000)])}), figures=False)
            for p95 in (40, 60)]
        comparison = compare_runs(*runs)
        steps = [r for r in comparison.rows if r.kind == "step"]
        self.assertEqual([r.name for r in steps], ["1 users", "8 users"])
        self.assertEqual(flagged(comparison), ["8 users"])
        p95 = steps[1].results[0]
        self.assertEqual((p95.metric, p95.outcome.reason, p95.p_adjusted), ("p95", "no raw data", None))


class TestCompareResult(unittest.TestCase):
    def result(self, metric, base, cand, p=1e-9, **thresholds):
        outcome = TestOutcome(test="t", p_value=p, reason="")
        found = CompareResult(metric, base, cand, outcome, Thresholds(**thresholds))
        found.p_adjusted = p
        return found

    def test_verdicts(self):
        self.assertEqual(self.result("p95", 100, 111).verdict, REGRESSION)
        self.assertEqual(self.result("p95", 100, 109).verdict, WITHIN)
        self.assertEqual(self.result("p95", 100, 111, p=0.2).verdict, NOT_SIGNIFICANT)
        self.assertEqual(self.result("p95", 40, 44.5).verdict, WITHIN)      # 4.5 ms < 5 ms floor
        self.assertEqual(self.result("rps", 100, 80).verdict, REGRESSION)   # fewer requests/s
        self.assertEqual(self.result("rps", 100, 120).verdict, IMPROVEMENT)
        self.assertEqual(self.result("fail", 0.0, 0.005).verdict, WITHIN)   # under 1 point
        self.assertEqual(self.result("fail", 0.0, 0.02).verdict, REGRESSION)

    def test_a_figure_moving_against_its_test_is_not_a_change(self):
        # the test found the candidate higher, yet this figure fell: no improvement to claim
        found = CompareResult("p50", 80.0, 50.0, TestOutcome(test="t", p_value=1e-9, reason="",
                                                             direction=1), Thresholds())
        found.p_adjusted = 1e-9
        self.assertFalse(found.significant)
        self.assertEqual(found.verdict, NOT_SIGNIFICANT)
        found.outcome = TestOutcome(test="t", p_value=1e-9, reason="", direction=-1)
        self.assertEqual(found.verdict, IMPROVEMENT)

    def test_wording(self):
        self.assertEqual(self.result("p50", 10, 12.3).wording, "1.23x slower")
        self.assertEqual(self.result("p50", 12.3, 10).wording, "1.23x faster")
        self.assertEqual(self.result("rps", 100, 80).wording, "1.25x slower")
        self.assertEqual(self.result("p99", 10, 10).wording, "same")
        self.assertEqual(self.result("fail", 0.0, 0.0).ratio, 1.0)
        self.assertTrue(math.isinf(self.result("fail", 0.0, 0.1).ratio))

    def test_thresholds_are_checked(self):
        for bad in ({"alpha": 0}, {"alpha": 1.5}, {"min_change": -0.1}, {"noise_floor_ms": math.nan}):
            with self.assertRaises(ValueError, msg=bad):
                Thresholds(**bad)
