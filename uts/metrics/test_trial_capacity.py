"""The metric tests' capacity mode against a stand-in whose metric writes have a known capacity:
2 slots, 200 ms of service time per report inside a slot, no think time. Each trial sends its
next report once the last one is visible, so with N trials the write waits its turn behind the
others: about N x 200 ms / 2 = N x 100 ms once N > 2. A write p50 limit of 1,000 ms then holds
up to about 10 trials; each trial more adds 100 ms, far more than a busy machine adds to a p50.
"""
import unittest

from daist.models.base import open_artifact
from daist.models.capacity import Capacity
from uts.harness import remove_results, run_daist
from uts.metrics.support import METRICS_POST, MODULE, StandinCase

SLOTS, SERVICE_MS, LIMIT_MS = 2, 200, 1000
EDGE = SLOTS * LIMIT_MS / SERVICE_MS  # 10 trials


def env(url: str, **extra: str) -> dict[str, str]:
    return {"DET_MASTER": url, "DAIST_METRICS_TRIALS": "unmanaged",
            "DAIST_METRICS_SLO": f"write:p50={LIMIT_MS}", "DAIST_METRICS_NUM_BATCHES": "8",
            "DAIST_METRICS_METRIC_COUNT": "4", "DAIST_METRICS_READS": "0",
            "DAIST_EVIDENCE_METRICS": "false",  # the generator is judged on its CPU and loop here
            "DAIST_METRICS_MAX_GENERATOR_OVERHEAD_MS": "1000",  # a busy machine's loop lag is no
            # generator limit at these few trials
            "DAIST_CAPACITY_START_TRIALS": "2", "DAIST_CAPACITY_MAX_TRIALS": "64",
            "DAIST_LOG_STDOUT_LEVEL": "INFO", **extra}


class TestTrialCapacityOfAKnownServer(StandinCase):
    def setUp(self):
        self.set_faults([{"path": METRICS_POST, "method": "POST", "latency_ms": SERVICE_MS},
                         {"path": METRICS_POST, "method": "POST", "capacity": SLOTS}])

    def test_the_capacity_found_is_real(self):
        run = run_daist(f"{MODULE}.TestCapacity", env=env(self.url), timeout=900)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        (path,) = [p for p in run.result.files_of("Capacity") if p.suffix == ".json"]
        capacity = open_artifact(path)
        self.assertIsInstance(capacity, Capacity)
        self.assertEqual(capacity.unit, "trials")
        trials = capacity.capacity_trials
        self.assertFalse(capacity.at_least, capacity.limited_by)
        self.assertIn("write p50 at concurrency", capacity.limited_by)
        self.assertGreaterEqual(trials, EDGE / 2, capacity.steps)
        self.assertLessEqual(trials, EDGE * 1.2, capacity.steps)
        self.assertEqual([s.level for s in capacity.steps][:3], [2, 4, 8])  # geometric, x2
        for share, passes in ((0.75, True), (1.35, False)):
            level = round(trials * share)
            with self.subTest(trials=level):
                check = run_daist(f"{MODULE}.Test", timeout=300,
                                  env=env(self.url, DAIST_METRICS_CONCURRENCY=str(level)))
                self.addCleanup(remove_results, check)
                self.assertEqual(check.returncode, 0 if passes else 1, check.output)
                if not passes:
                    self.assertIn("latency limits exceeded", check.output)


if __name__ == "__main__":
    unittest.main()
