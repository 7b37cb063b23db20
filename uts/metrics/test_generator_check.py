"""The generator check of an unmanaged level: its overhead against the target's own handling
time where the target exposes it, else its CPU; its event loop's lag and a worker late for
Locust's heartbeat on either basis; an invalid level stays in the sweep's data
(said why) but out of the histograms, plots and table as the master's latency."""
import dataclasses
import unittest

from daist.engine.tally import ExactTally
from daist.evidence.histograms import BucketHistogram
from daist.evidence.server_timing import grpc_method_of
from daist.metrics.generator_check import Driven, REPORT_ROUTE, describe_check, generator_check
from daist.metrics.trial_user import REPORT
from daist.models.locust import GeneratorUsage
from daist.models.metric_latency import LatencySeries, MetricLatencySweep, Observation
from daist.report.metric_plots import table_text

REPORT_METHOD = grpc_method_of(*REPORT_ROUTE)


def driven(write_ms: float, *, reports: int = 20, cpu: float = 10.0) -> Driven:
    tally = ExactTally()
    tally.open_window(0.0)
    for _ in range(reports):
        tally.on_request(name=REPORT, response_time=write_ms)
    return Driven(tally=tally, usage=[GeneratorUsage(role="worker", host="h", pid=7,
                                                     cpu_percent=cpu)],
                  workers=1, workers_reported=["h pid 7"])


def handling_at(seconds: float, count: int = 20) -> dict[str, BucketHistogram]:
    """Every call of the report route took ``seconds`` (all in one bucket ending there)."""
    return {REPORT_METHOD: BucketHistogram(bounds=(seconds / 2, seconds, float("inf")),
                                           cumulative=(0.0, float(count), float(count)),
                                           total_s=seconds * count)}


class TestGeneratorCheck(unittest.TestCase):
    def test_the_report_route_has_a_grpc_method(self):
        self.assertEqual(REPORT_METHOD, "ReportTrialMetrics")

    def test_overhead_over_the_limit_makes_the_level_invalid(self):
        check = generator_check(driven(100.0), overhead_limit_ms=50.0,
                                handling=handling_at(0.020))
        self.assertEqual(check.basis, "server")
        self.assertAlmostEqual(check.client_p50_ms, 100.0, delta=0.1)
        self.assertAlmostEqual(check.server_p50_ms, 15.0, delta=0.1)  # interpolated in its bucket
        self.assertAlmostEqual(check.overhead_p50_ms, 85.0, delta=0.2)
        self.assertFalse(check.valid)
        self.assertIn("[metrics] max_generator_overhead_ms", check.reason)
        self.assertEqual(check.reports_sent, 20)
        self.assertEqual(check.workers_reported, ["h pid 7"])

    def test_overhead_within_the_limit_is_valid(self):
        check = generator_check(driven(40.0), overhead_limit_ms=50.0,
                                handling=handling_at(0.020))
        self.assertTrue(check.valid, check.reason)
        self.assertTrue(describe_check(check).startswith("valid; overhead p50 25.0 ms"))

    def test_a_gap_the_generators_loops_cannot_explain_lies_at_the_target(self):
        """Every generator loop was watched and ran at most 12 ms late (p99): of a 85 ms gap
        over the handler's time, the generator can have added no more than that."""
        level = driven(100.0)
        level.usage = [dataclasses.replace(level.usage[0], loop_lag_p99_ms=12.0,
                                           loop_lag_max_ms=40.0)]
        check = generator_check(level, overhead_limit_ms=50.0, handling=handling_at(0.020))
        self.assertTrue(check.valid, check.reason)
        self.assertTrue(check.gap_at_target)
        self.assertEqual(check.loop_lag_p99_ms, 12.0)
        self.assertIn("overhead p50 85.0 ms", describe_check(check))
        self.assertIn("in front of the target's handler: no generator loop ran over 12.0 ms "
                      "late", describe_check(check))
        unwatched = dataclasses.replace(level.usage[0], pid=8, loop_lag_p99_ms=0.0,
                                        loop_lag_max_ms=0.0)
        late = dataclasses.replace(level.usage[0], loop_lag_p99_ms=60.0, loop_lag_max_ms=90.0)
        for name, usage in (("a process not watched", [*level.usage, unwatched]),
                            ("a loop over the limit", [late])):
            with self.subTest(name):
                level.usage = usage
                check = generator_check(level, overhead_limit_ms=50.0,
                                        handling=handling_at(0.020))
                self.assertFalse(check.valid)
                self.assertFalse(check.gap_at_target)
                self.assertIn("the generator added 85.0 ms", check.reason)

    def test_without_server_timings_the_cpu_and_loop_decide_and_say_so(self):
        for cpu, valid in ((79.9, True), (80.0, False)):
            with self.subTest(cpu=cpu):
                check = generator_check(driven(500.0, cpu=cpu), overhead_limit_ms=1.0,
                                        handling={})
                self.assertEqual(check.basis, "cpu")
                self.assertIsNone(check.overhead_p50_ms)
                self.assertEqual(check.valid, valid)
                self.assertIn("judged on the generator's CPU and event-loop lag",
                              describe_check(check))
        self.assertIn("worker h pid 7: 80% of a core", check.reason)

    def test_a_late_event_loop_makes_the_level_invalid_on_either_basis(self):
        cases = {"p99 at the limit": (GeneratorUsage(loop_lag_p99_ms=50.0, loop_lag_max_ms=90.0),
                                      ""),
                 "p99 over the limit": (GeneratorUsage(loop_lag_p99_ms=50.1), "ran 50 ms late"),
                 "a 3 s stall": (GeneratorUsage(loop_lag_max_ms=3000.0), "stalled 3.0 s")}
        for name, (usage, reason) in cases.items():
            for handling in ({}, handling_at(0.020)):
                with self.subTest(name, basis="server" if handling else "cpu"):
                    level = driven(30.0)
                    level.usage = [dataclasses.replace(usage, role="worker", host="h", pid=7)]
                    check = generator_check(level, overhead_limit_ms=50.0, handling=handling)
                    self.assertEqual(check.valid, not reason, check.reason)
                    self.assertIn(reason, check.reason)
                    if reason:
                        self.assertIn("worker h pid 7", check.reason)

    def test_a_worker_late_for_locusts_heartbeat_makes_the_level_invalid_naming_it(self):
        level = driven(30.0)
        level.late_workers = ["h pid 7 (c1)"]
        check = generator_check(level, overhead_limit_ms=50.0, handling=handling_at(0.020))
        self.assertFalse(check.valid)
        self.assertEqual(check.late_workers, ["h pid 7 (c1)"])
        self.assertIn("h pid 7 (c1) missed Locust's heartbeat", check.reason)

    def test_an_invalid_level_is_kept_but_never_plotted_as_the_masters(self):
        def series(level: int, check) -> LatencySeries:
            return LatencySeries(level=level, concurrency=level, metric_count=1, num_batches=1,
                                 trial_ids=list(range(level)), generator=check,
                                 observations=[Observation(t, 0, 1.0, 2.0, 3.0, None)
                                               for t in range(level)])
        bad = generator_check(driven(500.0, cpu=95.0), overhead_limit_ms=50.0, handling={})
        good = generator_check(driven(5.0), overhead_limit_ms=50.0, handling={})
        sweep = MetricLatencySweep(series=[series(1, good), series(2, bad)])
        op_hist = sweep.op_hist()
        self.assertEqual(op_hist.levels("write"), [1])
        self.assertEqual(op_hist.invalid_levels, {2: bad.reason})
        self.assertIn(f"concurrency 2: INVALID, not plotted: {bad.reason}", table_text(op_hist))
        self.assertTrue(sweep.series[1].invalid)


if __name__ == "__main__":
    unittest.main()
