"""TestCapacity against a stand-in whose capacity is known: 2 slots, 100 ms of service time
per request inside a slot, 0.2 s think time. Queueing starts near C (S + Z) / S = 6 users; the
mean response time then grows as N S / C - Z, 50 ms per user, so a p95 limit of 400 ms holds
up to about C (R + Z) / S = 12 users (the p95 a little fewer).

The service time is long and the slots few on purpose: each user more adds 50 ms, far more than
what a busy 2-core machine adds to a p95 of a few hundred samples, so the answer is the
stand-in's and the checks around it hold on a loaded machine.
"""
import unittest

from daist.models.base import open_artifact
from daist.models.capacity import Capacity
from daist.models.locust import GeneratorUsage
from daist.rest_api.verdict import parse_endpoint_slo
from daist.rest_api.step_verdict import judge_step
from daist.rest_api.endpoints import EndpointTask
from uts.rest_api.factories import make_entry, make_stats
from uts.harness import StandinTestCase, remove_results, run_daist
from uts.rest_api.loadruns import MODULE, PASSWORD, case_id, load_env

SLOTS, SERVICE_S, THINK_S, P95_MS = 2, 0.1, 0.2, 400
KNEE = SLOTS * (SERVICE_S + THINK_S) / SERVICE_S  # 6 users
MEAN_AT_LIMIT = SLOTS * (P95_MS / 1000 + THINK_S) / SERVICE_S  # 12 users
LIMITS = {"wait_time": THINK_S, "p95_ms": P95_MS, "spawn_rate": 100, "warmup": 1,
          "stop_timeout": 3, "request_timeout": 10}


def capacity_env(url: str, **settings: object) -> dict[str, str]:
    return {**load_env(url, **{**LIMITS, **settings}), "DAIST_CAPACITY_MIX": "checkpoints",
            "DAIST_CAPACITY_START_USERS": "2", "DAIST_CAPACITY_STEP_TIME": "5",
            "DAIST_CAPACITY_RESOLUTION": "0.1"}


def task(name: str) -> EndpointTask:
    return EndpointTask(name, "GET", "/api/v1/x", "list")


class TestJudgeStep(unittest.TestCase):
    """One step's outcome from fixed stats: a percentile is judged only from samples enough."""

    slo = parse_endpoint_slo("", p95_ms=100, p99_ms=None, max_fail_ratio=0.05)

    def judge(self, *entries, mix=("a", "b")):
        return judge_step(8, make_stats(*entries), self.slo, [task(name) for name in mix])

    def test_kept_only_when_every_endpoint_had_samples_enough(self):
        kept = self.judge(make_entry("a", latencies=[10.0] * 20), make_entry("b", latencies=[20.0] * 40))
        self.assertEqual((kept.outcome, kept.level, kept.num_requests), ("kept", 8, 60))
        short = self.judge(make_entry("a", latencies=[10.0] * 20), make_entry("b", latencies=[20.0] * 19))
        self.assertEqual(short.outcome, "undecided")
        self.assertIn("b p95 (19 of 20 samples)", short.decided_by)

    def test_an_endpoint_of_the_mix_without_requests_is_not_judged_kept(self):
        unseen = self.judge(make_entry("a", latencies=[10.0] * 50))
        self.assertEqual(unseen.outcome, "undecided")
        self.assertIn("b p95 (0 of 20 samples)", unseen.decided_by)

    def test_broke_names_the_worst_limit_with_its_samples(self):
        broke = self.judge(make_entry("a", latencies=[150.0] * 20),
                           make_entry("b", latencies=[300.0] * 5))  # b: too few to tell
        self.assertEqual(broke.outcome, "broke")
        self.assertEqual(broke.decided_by, "a: p95 150.0 ms > 100 ms (n=20)")

    def test_failures_and_a_saturated_generator(self):
        failing = self.judge(make_entry("a", latencies=[10.0] * 30, failures=10),
                             make_entry("b", latencies=[10.0] * 30))
        self.assertEqual(failing.outcome, "broke")
        self.assertIn("max_fail_ratio", failing.decided_by)
        stats = make_stats(make_entry("a", latencies=[10.0] * 30), make_entry("b", latencies=[10.0] * 30))
        stats.run.saturated = True
        stats.run.generator = [GeneratorUsage(role="local", pid=1, cpu_percent=97.0)]
        invalid = judge_step(8, stats, self.slo, [task("a"), task("b")])
        self.assertEqual(invalid.outcome, "invalid")
        self.assertIn("local 97% CPU", invalid.decided_by)


class TestCapacityOfAKnownServer(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}, "faults": [
        {"path": "^/api/v1/experiments/[0-9]+/checkpoints", "latency_ms": SERVICE_S * 1000},
        {"path": "^/api/v1/experiments/[0-9]+/checkpoints", "capacity": SLOTS}]}

    def test_the_capacity_found_is_real(self):
        run = run_daist(f"{MODULE}.TestCapacity", env=capacity_env(self.url), timeout=600)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        (path,) = [p for p in run.result.files_of("Capacity", test_id=case_id("TestCapacity"))
                   if p.suffix == ".json"]
        capacity = open_artifact(path)
        self.assertIsInstance(capacity, Capacity)
        users = capacity.capacity_users
        self.assertFalse(capacity.at_least, capacity.limited_by)
        self.assertIn("get experiment checkpoints: p95", capacity.limited_by)
        self.assertGreaterEqual(users, KNEE, capacity.steps)  # no queue yet: p95 ~ 2 services
        self.assertLessEqual(users, MEAN_AT_LIMIT, capacity.steps)  # beyond: the mean is over
        outcomes = {step.level: step.outcome for step in capacity.steps}
        self.assertEqual(outcomes[users], "kept")
        self.assertTrue(any(level > users and outcome == "broke"
                            for level, outcome in outcomes.items()))
        self.assertEqual([s.level for s in capacity.steps][:3], [2, 4, 8])  # geometric, x2
        self.assertTrue(run.result.files_of("Capacity", test_id=case_id("TestCapacity")))

        for share, passes in ((0.75, True), (1.35, False)):
            with self.subTest(users=round(users * share)):
                check = run_daist(f"{MODULE}.TestExperimentCheckpoints", timeout=300,
                                  env=load_env(self.url, users=round(users * share), run_time=6,
                                               **LIMITS))
                self.addCleanup(remove_results, check)
                self.assertEqual(check.returncode, 0 if passes else 1, check.output)
                if not passes:
                    self.assertIn("get experiment checkpoints: p95", check.output)


if __name__ == "__main__":
    unittest.main()
