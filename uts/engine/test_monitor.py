import os
import time
import unittest

from daist.models.locust import GeneratorUsage
from daist.engine.monitor import GeneratorMonitor


def _cpu_s() -> float:
    times = os.times()
    return times.user + times.system


class TestGeneratorMonitor(unittest.TestCase):
    def test_a_busy_process_shows_its_cpu_and_memory(self):
        """The monitor must account for the CPU this process burns, whatever the machine's load:
        burn a fixed amount of CPU time (not of wall time) and check the reported share against
        it over the wall time that brackets the measurement."""
        burn_s, tick_s = 0.3, 0.03  # CPU to burn; the slack of two clock-tick readings
        monitor = GeneratorMonitor()
        monitor.watch(os.getpid(), role="local")
        monitor.watch(2**22 + 12345, role="worker")   # no such process: ignored
        before_start = time.monotonic()
        monitor.start()
        cpu_start = _cpu_s()
        deadline = time.monotonic() + 120
        # Past 0.5 s of wall time the monitor takes a fresh reading in usage().
        while (_cpu_s() - cpu_start < burn_s or time.monotonic() - before_start < 0.6) \
                and time.monotonic() < deadline:
            sum(range(1000))
        burned = _cpu_s() - cpu_start
        (usage,) = monitor.usage()
        wall = time.monotonic() - before_start
        self.assertGreaterEqual(burned, burn_s, "the CPU burn did not finish in 120 s")
        self.assertEqual((usage.role, usage.pid), ("local", os.getpid()))
        self.assertGreater(usage.cpu_percent, 0)
        # cpu_percent = 100 * cpu / window and the window is at most `wall`: the CPU it saw is
        # at most cpu_percent * wall (plus rounding), and it must have seen what was burned.
        self.assertGreaterEqual((usage.cpu_percent + 0.1) * wall / 100, burned - tick_s)
        self.assertGreaterEqual(usage.cpu_max_percent, usage.cpu_percent)
        self.assertGreater(usage.rss_mb, 5)

    def test_saturation_threshold(self):
        self.assertTrue(GeneratorMonitor.saturated([GeneratorUsage(cpu_percent=80.0)]))
        self.assertFalse(GeneratorMonitor.saturated([GeneratorUsage(cpu_percent=79.9),
                                                     GeneratorUsage(role="master")]))
