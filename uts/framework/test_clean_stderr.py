"""The console stays clean: no ResourceWarning, no stray traceback, no "Exception ignored"
after a short load test, an interrupted one and a failed one (issue: ten unclosed-socket
warnings after a 30 s run; a KeyboardInterrupt traceback from the signal handler)."""
from __future__ import annotations

import re
import signal
import unittest

from uts.harness import DaistRun, StandinTestCase, remove_results, run_daist
from uts.rest_api.loadruns import MODULE, PASSWORD, interrupt_load_test, load_env

NOISE = re.compile(r"Warning|Traceback|Exception ignored|unclosed|^\s+File \"", re.M)
EXPECTED_ENDINGS = re.compile(r"^daist: error: interrupted \((SIGINT|terminated by signal 15)\)$")


def noise(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if NOISE.search(line) and not EXPECTED_ENDINGS.match(line)]


class TestCleanStderr(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def run_load(self, **settings) -> DaistRun:
        run = run_daist(f"{MODULE}.TestRO", env=load_env(self.url, run_time=2, **settings))
        self.addCleanup(remove_results, run)
        return run

    def test_a_short_run(self):
        run = self.run_load()
        self.assertEqual(run.returncode, 0, run.output)
        self.assertEqual(noise(run.stderr), [], run.stderr)

    def test_a_failed_run(self):
        run = self.run_load(p95_ms="0.001")  # every endpoint misses a 1 µs p95
        self.assertEqual(run.returncode, 1, run.output)
        self.assertIn("FAIL: test (daist.rest_api.test_locust.TestRO", run.stderr)
        self.assertEqual(noise(run.stderr), [], run.stderr)

    def test_an_interrupted_run(self):
        run = interrupt_load_test(self.url, "TestRO", signal.SIGINT)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 130, run.output)
        self.assertEqual(noise(run.stderr), [], run.stderr)

    def test_the_check_sees_noise(self):
        self.assertEqual(noise("x\n/a.py:3: ResourceWarning: unclosed <socket>\n"),
                         ["/a.py:3: ResourceWarning: unclosed <socket>"])


if __name__ == "__main__":
    unittest.main()
