import os
import time
import unittest

from daist.models.locust import GeneratorUsage
from daist.rest_api.monitor import GeneratorMonitor


class TestGeneratorMonitor(unittest.TestCase):
    def test_a_busy_process_shows_its_cpu_and_memory(self):
        monitor = GeneratorMonitor()
        monitor.watch(os.getpid(), role="local")
        monitor.watch(2**22 + 12345, role="worker")   # no such process: ignored
        monitor.start()
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            sum(range(1000))
        (usage,) = monitor.usage()
        self.assertEqual((usage.role, usage.pid), ("local", os.getpid()))
        self.assertGreater(usage.cpu_percent, 30)   # a spinning thread; shared CPUs keep it low
        self.assertGreaterEqual(usage.cpu_max_percent, usage.cpu_percent)
        self.assertGreater(usage.rss_mb, 5)

    def test_saturation_threshold(self):
        self.assertTrue(GeneratorMonitor.saturated([GeneratorUsage(cpu_percent=80.0)]))
        self.assertFalse(GeneratorMonitor.saturated([GeneratorUsage(cpu_percent=79.9),
                                                     GeneratorUsage(role="master")]))
