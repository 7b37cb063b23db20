"""compare of real runs against a stand-in: +40 ms injected inside the stand-in is "inside the
master"; +40 ms from a delaying TCP proxy in front of it is "outside the master"."""
from __future__ import annotations

import re
import unittest
from urllib.parse import urlsplit

from uts.evidence.delay_proxy import DelayProxy
from uts.harness import StandinTestCase, remove_results, run_daist
from uts.report.test_runs import report_cli
from uts.rest_api.loadruns import PASSWORD, load_env, set_faults

TEST = "daist.rest_api.test_locust.TestExperimentCheckpoints"
ROW = "TestExperimentCheckpoints.test: GET get experiment checkpoints"
ROW_RE = re.escape(ROW)
NOISE_FLOOR = ("--noise-floor-ms", "25")  # as uts.report.test_runs: the machine is shared


class TestCompareAttribution(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.baseline = cls.run_test(cls.url)
        set_faults(cls.url, [{"path": "/checkpoints$", "latency_ms": 40}])
        try:
            cls.inside = cls.run_test(cls.url)
        finally:
            set_faults(cls.url, [])
        with DelayProxy(urlsplit(cls.url).port, 0.040) as proxied:
            cls.outside = cls.run_test(proxied)

    @classmethod
    def run_test(cls, url: str):
        run = run_daist(TEST, env=load_env(url, users=2, run_time=6), timeout=240)
        cls.addClassCleanup(remove_results, run)
        if run.returncode != 0:
            raise AssertionError(run.output)
        return run

    def compare(self, candidate) -> str:
        done = report_cli("compare", self.baseline.results_dir, candidate.results_dir,
                          *NOISE_FLOOR)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertRegex(done.stdout, rf"\nFAILED: \d+ regressions?: .*{ROW_RE} \(p50")
        return done.stdout

    def test_latency_injected_in_the_standin_is_inside_the_master(self) -> None:
        text = self.compare(self.inside)
        self.assertIn(f"{ROW}: INSIDE THE MASTER: client p50", text)
        self.assertNotIn("OUTSIDE THE MASTER", text)

    def test_latency_added_in_front_of_it_is_outside_the_master(self) -> None:
        text = self.compare(self.outside)
        self.assertIn(f"{ROW}: OUTSIDE THE MASTER: client p50", text)
        self.assertNotIn("INSIDE THE MASTER", text)


if __name__ == "__main__":
    unittest.main()
