import unittest

from daist.models.base import PNG_SIGNATURE
from daist.models.locust import StepPoint
from daist.report.scaling_plot import scaling_figure
from daist.rest_api.sweep import mark_knee


class TestScalingCurve(unittest.TestCase):
    def steps(self):
        figures = [(1, 900, 2.0), (2, 1700, 2.2), (4, 2400, 3.0), (8, 2500, 6.0), (16, 2450, 12.0)]
        return [StepPoint(users=u, rps=r, p95_ms=p) for u, r, p in figures]

    def test_knee_is_the_highest_power_step(self):
        steps = self.steps()
        mark_knee(steps)
        self.assertEqual([s.users for s in steps if s.knee], [4])   # 800 req/s per ms of p95

    def test_no_knee_without_latencies(self):
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
