"""The metric levels' progress line: reports done of trials x reports, an estimate from the
rate so far, and the master asked for the count at most once per second."""
import io
import unittest

from daist.framework.errors import TargetError
from daist.metrics import latency_case
from daist.metrics.expconf import Level


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class CountingCluster:
    def __init__(self, counts):
        self.counts = list(counts)
        self.asked = 0

    def reports_done(self, experiment_id):
        self.asked += 1
        value = self.counts.pop(0)
        if isinstance(value, Exception):
            raise value
        return value


class TestLevelProgress(unittest.TestCase):
    def test_reports_done_of_the_total_and_an_estimate_from_the_rate(self):
        progress = latency_case._level_progress("concurrency 4", Level(concurrency=4, metric_count=8,
                                                               num_batches=32), timeout_s=1800)
        clock = FakeClock()
        progress.clock, progress.started, progress.stream = clock, clock.now, io.StringIO()
        clock.now += 20
        progress.update(done=32)  # a quarter in 20 s: 60 s left
        self.assertEqual(progress.line(), "[metrics concurrency 4] 00:20 elapsed, 01:00 left, "
                                          "timeout in 29:40 | reports 32/128")
        clock.now += 20
        progress.done({"state": "COMPLETED"}, done=128)
        self.assertEqual(progress.stream.getvalue().splitlines()[-1],
                         "[metrics concurrency 4] 00:40 elapsed, 00:00 left, timeout in 29:20 | "
                         "reports 128/128 | state COMPLETED | done")

    def test_the_master_is_asked_at_most_once_a_second(self):
        cluster, clock = CountingCluster([3, 7, 9]), FakeClock()
        count = latency_case._reports_counter(cluster, 5, clock=clock)
        self.assertEqual(count(), 3)
        clock.now += 0.5
        self.assertEqual((count(), cluster.asked), (3, 1))  # the last count, not asked again
        clock.now += 0.5
        self.assertEqual((count(), cluster.asked), (7, 2))
        self.assertEqual((count(final=True), cluster.asked), (9, 3))  # the end reads now

    def test_a_failed_count_keeps_the_last_one(self):
        cluster, clock = CountingCluster([4, TargetError("no answer")]), FakeClock()
        count = latency_case._reports_counter(cluster, 5, clock=clock)
        self.assertEqual(count(), 4)
        clock.now += 1
        self.assertEqual((count(), cluster.asked), (4, 2))
        self.assertIsNone(latency_case._reports_counter(CountingCluster([TargetError("x")]), 5,
                                                clock=clock)())


if __name__ == "__main__":
    unittest.main()
