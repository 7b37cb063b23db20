import math
import unittest

from scipy import stats as scipy_stats

from daist.report.stats import (BLOCKS, HALF_CHI2_1, MIN_BLOCKS, MIN_SHARED, RUNS,
                                THRESHOLDS_ONLY, block_test, holm, of_blocks, of_runs, run_blocks,
                                runs_and_blocks_test, shared_run_variance, welch)


class TestEstimates(unittest.TestCase):
    def test_runs_give_mean_and_sample_spread(self):
        found = of_runs([1.0, 2.0, 3.0])
        self.assertEqual((found.value, found.sd, found.n, found.df, found.mode), (2.0, 1.0, 3, 2, RUNS))
        self.assertAlmostEqual(found.se, 1 / math.sqrt(3))
        single = of_runs([5.0])
        self.assertTrue(math.isnan(single.sd) and math.isnan(single.se))

    def test_blocks_need_a_minimum_and_are_batch_means(self):
        self.assertIsNone(of_blocks([1.0] * (MIN_BLOCKS - 1)))
        found = of_blocks([1.0, 2.0, 3.0, 6.0])
        self.assertEqual((found.value, found.n, found.mode), (3.0, 4, BLOCKS))


class TestWelch(unittest.TestCase):
    def test_matches_scipys_welch_test(self):
        base, cand = [3.1, 2.9, 3.3, 3.0], [3.6, 3.9, 3.4]
        expected = scipy_stats.ttest_ind(cand, base, equal_var=False)
        found = welch(of_runs(base), of_runs(cand))
        self.assertAlmostEqual(found.statistic, expected.statistic)
        self.assertAlmostEqual(found.p_value, expected.pvalue)
        self.assertEqual((found.direction, found.mode, found.sizes), (1, RUNS, (4, 3)))
        self.assertGreater(found.noise, 0)

    def test_a_single_run_borrows_the_other_sides_spread(self):
        found = welch(of_runs([10.0]), of_runs([11.0, 12.0, 13.0]))
        # equal variances: t = 2 / (1 * sqrt(1 + 1/3)) with the 2 degrees of freedom of 3 runs
        t = 2 / math.sqrt(1 + 1 / 3)
        self.assertAlmostEqual(found.statistic, t)
        self.assertAlmostEqual(found.p_value, 2 * scipy_stats.t.sf(t, 2))

    def test_one_value_a_side_cannot_be_tested(self):
        found = welch(of_runs([10.0]), of_runs([12.0]))
        self.assertFalse(found.testable)
        self.assertEqual(found.mode, THRESHOLDS_ONLY)

    def test_no_spread_at_all(self):
        self.assertEqual(welch(of_runs([2.0, 2.0]), of_runs([2.0, 2.0])).p_value, 1.0)
        moved = welch(of_runs([2.0, 2.0]), of_runs([3.0, 3.0]))
        self.assertEqual((moved.p_value, moved.direction), (0.0, 1))


class TestBlockTest(unittest.TestCase):
    def test_is_mann_whitney_over_the_blocks(self):
        base = [1.0, 1.2, 0.9, 1.1, 1.05, 0.95]
        cand = [1.3, 1.25, 1.4, 1.15, 1.35, 1.5]
        expected = scipy_stats.mannwhitneyu(cand, base, alternative="two-sided")
        found = block_test(base, cand)
        self.assertAlmostEqual(found.p_value, expected.pvalue)
        self.assertEqual((found.direction, found.mode, found.sizes), (1, BLOCKS, (6, 6)))
        self.assertLess(block_test(cand, base).direction, 0)

    def test_one_outlying_block_is_one_rank(self):
        base = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98, 1.01, 0.99, 1.03]
        stalled = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98, 1.01, 0.99, 9.0]
        self.assertGreater(block_test(base, stalled).p_value, 0.5)

    def test_all_blocks_equal(self):
        found = block_test([1.0] * 5, [1.0] * 5)
        self.assertEqual((found.p_value, found.direction), (1.0, 0))


class TestHolm(unittest.TestCase):
    def test_step_down_adjustment(self):
        self.assertEqual(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
        self.assertEqual(holm([0.5, 0.9]), [1.0, 1.0])
        self.assertEqual(holm([]), [])


class TestRunsAndBlocks(unittest.TestCase):
    def test_pieces_of_one_figure(self):
        found = run_blocks([[1.0, 3.0], [2.0, 4.0]], [[5.0, 7.0, 6.0, 6.0]])
        # side means of run means: 2.5 and 6; blocks' variance per block 2 (baseline), 2/3
        self.assertAlmostEqual(found.diff, 3.5)
        self.assertAlmostEqual(found.within, (2.0 * (1 / 2 + 1 / 2) / 2) / 2 + (2 / 3) / 4 / 1)
        self.assertAlmostEqual(found.weight, 1.5)
        self.assertEqual((found.spread_df, found.base_df, found.block_df), (1, 1, 5))
        self.assertAlmostEqual(found.spread, 0.5)        # run means 2 and 3 around 2.5
        self.assertAlmostEqual(found.base_spread, 0.5)
        self.assertEqual((found.runs, found.blocks), ((2, 1), (4, 4)))
        self.assertIsNone(run_blocks([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0, 4.0]]))  # 3 blocks

    def test_shared_variance_is_zero_without_excess_spread_or_enough_figures(self):
        quiet = [run_blocks([[0.0, 0.2, -0.2, 0.1]], [[0.0, 0.2, -0.2, 0.1]])] * MIN_SHARED
        self.assertEqual(shared_run_variance(quiet), 0.0)
        few = [run_blocks([[0.0, 0.2, -0.2, 0.1]], [[5.0, 5.2, 4.8, 5.1]])] * (MIN_SHARED - 1)
        self.assertEqual(shared_run_variance(few), 0.0)

    def test_shared_variance_makes_the_median_figure_typical(self):
        """One run a side: the differences of most figures set the variance they share; the
        one that moved far is then judged against it."""
        figures = [run_blocks([[0.0, 0.1, -0.1, 0.0]], [[d, d + 0.1, d - 0.1, d]])
                   for d in (-0.5, -0.3, 0.3, 0.5, -0.4, 0.4, 0.45, -0.45, 3.0)]
        shared = shared_run_variance(figures)
        ratios = sorted(f.diff ** 2 / (f.within + shared * f.weight) for f in figures)
        self.assertAlmostEqual(ratios[len(ratios) // 2], HALF_CHI2_1, places=6)
        moved, typical = runs_and_blocks_test(figures[-1], shared), runs_and_blocks_test(figures[0], shared)
        self.assertLess(moved.p_value, 0.01)
        self.assertGreater(typical.p_value, 0.3)
        self.assertEqual((moved.direction, typical.direction, moved.mode), (1, -1, BLOCKS))
        self.assertGreater(runs_and_blocks_test(figures[-1], 0.0).statistic, moved.statistic)

    def test_a_figures_own_spread_between_baseline_runs_counts(self):
        steady = run_blocks([[0.0, 0.1, -0.1], [0.0, 0.1, -0.1], [0.0, 0.1, -0.1]],
                            [[0.5, 0.6, 0.4], [0.5, 0.6, 0.4], [0.5, 0.6, 0.4]])
        wandering = run_blocks([[0.0, 0.1, -0.1], [1.0, 1.1, 0.9], [-1.0, -0.9, -1.1]],
                               [[0.5, 0.6, 0.4], [0.5, 0.6, 0.4], [0.5, 0.6, 0.4]])
        found = runs_and_blocks_test(steady, 0.0), runs_and_blocks_test(wandering, 0.0)
        self.assertEqual((found[0].mode, found[0].sizes), (RUNS, (3, 3)))
        self.assertLess(found[0].p_value, 1e-6)
        self.assertGreater(found[1].p_value, 0.05)
