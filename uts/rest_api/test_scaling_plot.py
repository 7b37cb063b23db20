import unittest

from daist.models.base import PNG_SIGNATURE
from daist.models.locust import StepPoint
from daist.report.scaling_plot import scaling_figure
from daist.rest_api.sweep import knee_index, mark_knee

USERS = [1, 2, 4, 8, 16, 32]


class TestScalingCurve(unittest.TestCase):
    def steps(self):
        figures = [(1, 900, 2.0), (2, 1700, 2.2), (4, 2400, 3.0), (8, 2500, 6.0), (16, 2450, 12.0)]
        return [StepPoint(users=u, rps=r, p95_ms=p) for u, r, p in figures]

    def test_knee_is_the_last_step_before_growth_stops(self):
        steps = self.steps()
        mark_knee(steps)
        self.assertEqual([s.users for s in steps if s.knee], [4])  # 4 -> 8 adds 100 of 2400

    def test_linear_curve_has_no_knee(self):
        self.assertIsNone(knee_index(USERS, [100.0 * u for u in USERS]))

    def test_saturating_curve_knees_where_it_flattens(self):
        rps = [100.0 * min(u, 8) for u in USERS]  # flat from 8 users on
        self.assertEqual(USERS[knee_index(USERS, rps)], 8)

    def test_slow_but_steady_growth_is_not_a_knee(self):
        rps = [100, 130, 180, 260, 380, 560]  # +30 %..+50 % per doubling, above 10 % of linear
        self.assertIsNone(knee_index(USERS, rps))

    def test_collapsing_curve_knees_at_its_peak(self):
        rps = [100, 190, 350, 300, 150, 60]
        self.assertEqual(USERS[knee_index(USERS, rps)], 4)

    def test_gain_just_below_a_tenth_of_linear_is_the_knee(self):
        self.assertEqual(knee_index([1, 2, 4], [100, 200, 219]), 1)  # 19 < 20
        self.assertIsNone(knee_index([1, 2, 4], [100, 200, 221]))

    def test_no_knee_without_throughput(self):
        steps = [StepPoint(users=1), StepPoint(users=2)]
        mark_knee(steps)
        self.assertFalse(any(s.knee for s in steps))

    def test_png(self):
        steps = self.steps()
        mark_knee(steps)
        figure = scaling_figure(steps, title="TestScaling.test")
        self.assertTrue(figure.png.startswith(PNG_SIGNATURE))
        self.assertEqual(figure.size, (800, 450))


if __name__ == "__main__":
    unittest.main()
