"""The capacity search on judges of known answers (no load runs: each step is a function)."""
import unittest

from daist.framework.capacity import (BROKE, INVALID, KEPT, UNDECIDED, SearchPlan, StepOutcome,
                                      search_capacity)
from daist.framework.usl import fit_usl


def judge_with_edge(edge: int, *, special: dict[int, str] | None = None):
    """Keeps every level up to ``edge``, breaks above it; ``special`` overrides levels."""
    def judge(level: int) -> StepOutcome:
        outcome = (special or {}).get(level) or (KEPT if level <= edge else BROKE)
        return StepOutcome(level=level, outcome=outcome, decided_by=f"level {level}")
    return judge


class TestSearch(unittest.TestCase):
    def test_grows_geometrically_then_bisects_to_the_resolution(self):
        result = search_capacity(judge_with_edge(37), SearchPlan(start=1, growth=2,
                                                                 resolution=0.1))
        self.assertEqual([s.level for s in result.steps], [1, 2, 4, 8, 16, 32, 64, 48, 40, 36, 38])
        self.assertEqual((result.capacity, result.at_least), (36, False))  # 38 - 36 <= 10%
        self.assertEqual(result.limited_by, "38: level 38")

    def test_the_resolution_bounds_the_gap(self):
        for edge in (3, 10, 99, 500):
            for resolution in (0.05, 0.1, 0.25):
                with self.subTest(edge=edge, resolution=resolution):
                    result = search_capacity(judge_with_edge(edge),
                                             SearchPlan(start=1, resolution=resolution))
                    broke = min(s.level for s in result.steps if s.outcome == BROKE)
                    self.assertLessEqual(result.capacity, edge)
                    self.assertGreater(broke, edge)
                    self.assertLessEqual(broke - result.capacity,
                                         max(1.0, resolution * result.capacity))

    def test_max_level_gives_at_least(self):
        result = search_capacity(judge_with_edge(10_000), SearchPlan(start=10, max_level=50))
        self.assertEqual([s.level for s in result.steps], [10, 20, 40, 50])
        self.assertEqual((result.capacity, result.at_least), (50, True))
        self.assertIn("max_level (50)", result.limited_by)

    def test_an_undecided_or_invalid_step_is_never_a_capacity(self):
        for outcome in (UNDECIDED, INVALID):
            with self.subTest(outcome=outcome):
                result = search_capacity(judge_with_edge(100, special={8: outcome}),
                                         SearchPlan(start=2))
                self.assertEqual((result.capacity, result.at_least), (4, True))
                self.assertEqual(result.limited_by, f"8 was {outcome}: level 8")
                bisecting = search_capacity(judge_with_edge(20, special={24: outcome}),
                                            SearchPlan(start=2))
                self.assertEqual((bisecting.capacity, bisecting.at_least), (16, True))

    def test_a_first_step_that_breaks_gives_zero(self):
        result = search_capacity(judge_with_edge(0), SearchPlan(start=1))
        self.assertEqual((result.capacity, result.at_least, len(result.steps)), (0, False, 1))

    def test_bad_plans_and_outcomes_are_refused(self):
        for plan in ({"start": 0}, {"growth": 1.0}, {"resolution": 0}, {"start": 5, "max_level": 4}):
            with self.subTest(plan=plan), self.assertRaises(ValueError):
                SearchPlan(**plan)
        with self.assertRaises(ValueError):
            StepOutcome(level=1, outcome="fine", decided_by="")


class TestUsl(unittest.TestCase):
    @staticmethod
    def curve(n, lam=50.0, sigma=0.05, kappa=0.002):
        return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))

    def test_recovers_a_known_curve_and_its_peak(self):
        levels = [1, 2, 4, 8, 16, 32, 64]
        fit = fit_usl(levels, [self.curve(n) for n in levels])
        self.assertAlmostEqual(fit.lam, 50.0, places=3)
        self.assertAlmostEqual(fit.sigma, 0.05, places=4)
        self.assertAlmostEqual(fit.kappa, 0.002, places=5)
        self.assertAlmostEqual(fit.peak_level, (0.95 / 0.002) ** 0.5, places=2)  # 21.8
        self.assertFalse(fit.extrapolated)
        self.assertGreater(fit.r_squared, 0.999)

    def test_a_peak_beyond_the_measured_range_says_so(self):
        levels = [1, 2, 4, 8]
        fit = fit_usl(levels, [self.curve(n) for n in levels])
        self.assertTrue(fit.extrapolated)
        self.assertIn("extrapolated", fit.text)

    def test_too_few_levels_fit_nothing(self):
        self.assertIsNone(fit_usl([1, 2, 4], [1.0, 2.0, 3.0]))
        self.assertIsNone(fit_usl([1, 2, 4, 8], [0.0, 0.0, 0.0, 0.0]))


if __name__ == "__main__":
    unittest.main()
