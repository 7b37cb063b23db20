import math
import unittest

import numpy as np
from scipy import stats as sps

from daist.models.locust import new_histogram
from daist.report.stats import (MIN_SAMPLES, NO_RAW_DATA, Distribution, TestOutcome, holm,
                                latency_test, proportion_test, rate_test)
from uts.report.factories import histogram_of, latencies


def nearest_rank(values, percentile):
    ordered = sorted(values)
    return ordered[max(1, int(percentile / 100 * len(ordered) + 0.5)) - 1]


class TestDistribution(unittest.TestCase):
    def test_raw_samples_quantiles_are_nearest_rank(self):
        values = latencies(20, 333, seed=1)
        dist = Distribution.of_samples(values)
        self.assertEqual(dist.n, 333)
        for q in (1, 50, 90, 95, 99, 99.9, 100):
            self.assertEqual(dist.quantile(q), nearest_rank(values, q), q)
        self.assertEqual(dist.above(nearest_rank(values, 50)), sum(v > nearest_rank(values, 50) for v in values))

    def test_hdr_histogram_reads_as_its_own_percentiles(self):
        values = latencies(35, 2000, seed=2, sigma=0.6)
        histogram = histogram_of(values)
        dist = Distribution.of_hdr(histogram)
        self.assertEqual(dist.n, 2000)
        self.assertTrue(np.all(np.diff(dist.values) > 0))
        for q in (50, 95, 99, 99.9):
            self.assertAlmostEqual(dist.quantile(q), histogram.get_value_at_percentile(q) / 1000, places=9)
            exact = nearest_rank(values, q)
            self.assertAlmostEqual(dist.quantile(q), exact, delta=exact * 0.002)  # 3 digits

    def test_empty_histogram(self):
        dist = Distribution.of_hdr(new_histogram())
        self.assertEqual(dist.n, 0)
        self.assertTrue(math.isnan(dist.quantile(50)))

    def test_thinning_keeps_the_shape(self):
        dist = Distribution.of_samples(np.repeat([1.0, 2.0, 3.0], [50_000, 30_000, 20_000]))
        thin = dist.expanded(limit=1000)
        self.assertEqual(len(thin), 1000)
        self.assertEqual([int((thin == v).sum()) for v in (1.0, 2.0, 3.0)], [500, 300, 200])
        self.assertEqual(len(dist.expanded()), 100_000)


class TestLatencyTest(unittest.TestCase):
    def test_quantile_test_is_fishers_exact_test_at_the_pooled_percentile(self):
        base, cand = latencies(20, 400, seed=3), latencies(22, 300, seed=4)
        found = latency_test(Distribution.of_samples(base), Distribution.of_samples(cand), 95)
        threshold = nearest_rank(np.concatenate([base, cand]), 95)
        above_b, above_c = int((base > threshold).sum()), int((cand > threshold).sum())
        _, expected = sps.fisher_exact([[above_b, 400 - above_b], [above_c, 300 - above_c]])
        self.assertEqual(found.test, "quantile test at p95")
        self.assertAlmostEqual(found.p_value, expected, places=12)
        self.assertTrue(found.testable)

    def test_a_tail_only_change_shows_at_p99_and_not_at_the_median(self):
        base = latencies(20, 2000, seed=5)
        cand = latencies(20, 2000, seed=6)
        tail = cand > np.quantile(cand, 0.98)
        cand = np.where(tail, cand * 3, cand)                 # 2% of requests 3x slower
        b, c = Distribution.of_samples(base), Distribution.of_samples(cand)
        self.assertLess(latency_test(b, c, 99).p_value, 1e-6)
        self.assertGreater(latency_test(b, c, 50).p_value, 0.05)
        # a rank test of the whole distributions would not have seen it
        self.assertGreater(sps.mannwhitneyu(base, cand).pvalue, 0.05)

    def test_shift_is_found_by_every_percentile_with_its_direction(self):
        base, cand = latencies(40, 1000, seed=7), latencies(52, 1000, seed=8)
        for q in (50, 95, 99):
            found = latency_test(Distribution.of_samples(base), Distribution.of_samples(cand), q)
            self.assertLess(found.p_value, 1e-3, q)
            self.assertEqual(found.direction, 1, q)
            back = latency_test(Distribution.of_samples(cand), Distribution.of_samples(base), q)
            self.assertEqual(back.direction, -1, q)

    def test_tail_percentiles_need_enough_samples_in_the_tail(self):
        base, cand = Distribution.of_samples(latencies(40, 99, seed=9)), \
            Distribution.of_samples(latencies(80, 400, seed=10))
        p95, p99 = latency_test(base, cand, 95), latency_test(base, cand, 99)
        self.assertEqual((p95.testable, p95.reason),
                         (False, "too few samples for p95 (99 vs 400; a test needs 100)"))
        self.assertEqual(p99.reason, "too few samples for p99 (99 vs 400; a test needs 500)")
        self.assertEqual(latency_test(base, cand, 50).test, "quantile test at p50")
        bigger = Distribution.of_samples(latencies(40, 100, seed=9))
        self.assertEqual(latency_test(bigger, cand, 95).test, "quantile test at p95")

    def test_a_median_of_few_samples_falls_back_to_mann_whitney(self):
        base, cand = latencies(40, 8, seed=9), latencies(52, 9, seed=10)
        found = latency_test(Distribution.of_samples(base), Distribution.of_samples(cand), 50)
        expected = sps.mannwhitneyu(base, cand, alternative="two-sided")
        self.assertEqual(found.test, "Mann-Whitney U")
        self.assertAlmostEqual(found.p_value, expected.pvalue, places=12)
        self.assertEqual(found.statistic, expected.statistic)
        self.assertEqual(found.direction, 1)
        back = latency_test(Distribution.of_samples(cand), Distribution.of_samples(base), 50)
        self.assertEqual(back.direction, -1)

    def test_too_few_samples_is_not_testable(self):
        found = latency_test(Distribution.of_samples([1, 2, 3, 4]),
                             Distribution.of_samples(latencies(9, 100, seed=1)), 50)
        self.assertFalse(found.testable)
        self.assertIsNone(found.p_value)
        self.assertEqual(found.reason, "too few samples (4 vs 100)")
        self.assertEqual(MIN_SAMPLES, 5)
        self.assertTrue(latency_test(Distribution.of_samples([1, 2, 3, 4, 5]),
                                     Distribution.of_samples([6, 7, 8, 9, 10]), 50).testable)

    def test_identical_constant_samples_are_testable_and_not_different(self):
        same = Distribution.of_samples([5.0] * 200)
        self.assertEqual(latency_test(same, same, 95).p_value, 1.0)

    def test_no_test_means_no_raw_data(self):
        self.assertEqual(TestOutcome().reason, NO_RAW_DATA)
        self.assertFalse(TestOutcome().testable)


class TestCountTests(unittest.TestCase):
    def test_rate_test_is_the_conditional_binomial_test(self):
        found = rate_test(1000, 10.0, 800, 10.0)
        self.assertAlmostEqual(found.statistic, 0.8)
        self.assertEqual(found.direction, -1)
        self.assertAlmostEqual(found.p_value, sps.binomtest(800, 1800, 0.5).pvalue, places=12)
        self.assertLess(found.p_value, 1e-4)
        # the same rate over different windows is no change
        self.assertGreater(rate_test(1000, 10.0, 2000, 20.0).p_value, 0.9)

    def test_rate_test_needs_windows_and_requests(self):
        self.assertFalse(rate_test(100, 0.0, 100, 10.0).testable)
        self.assertEqual(rate_test(3, 10.0, 100, 10.0).reason, "too few requests (3 vs 100)")

    def test_proportion_test_is_fishers_exact_test(self):
        found = proportion_test(2, 500, 40, 500)
        self.assertAlmostEqual(found.p_value, sps.fisher_exact([[2, 498], [40, 460]])[1], places=12)
        self.assertLess(found.p_value, 1e-6)
        self.assertEqual(found.direction, 1)
        self.assertEqual(proportion_test(0, 100, 0, 100).p_value, 1.0)
        self.assertEqual(proportion_test(0, 100, 0, 100).direction, 0)
        self.assertFalse(proportion_test(0, 4, 1, 100).testable)


class TestHolm(unittest.TestCase):
    def test_step_down_adjustment(self):
        # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, max(0.06, 0.04*1) = 0.06
        self.assertEqual([round(p, 10) for p in holm([0.01, 0.04, 0.03, 0.005])],
                         [0.03, 0.06, 0.06, 0.02])

    def test_properties(self):
        p = list(np.random.default_rng(1).uniform(0, 0.2, 50))
        adjusted = holm(p)
        for raw, adj in zip(p, adjusted):
            self.assertGreaterEqual(adj, raw)
            self.assertLessEqual(adj, min(1.0, raw * len(p)))       # never worse than Bonferroni
        order = np.argsort(p)
        self.assertTrue(np.all(np.diff(np.asarray(adjusted)[order]) >= 0))   # keeps the order
        self.assertEqual(holm([]), [])
        self.assertEqual(holm([0.9, 0.8]), [1.0, 1.0])
