"""A generator process's event-loop lag: a stall of the loop (here a blocking sleep of a fixed
length, as a saturated worker's long callback or a full garbage collection) is seen as at least
that lateness, less one wake-up interval; collections of the oldest generation are timed."""
import gc
import unittest

import gevent
from gevent.monkey import get_original

from daist.engine.loop_watch import INTERVAL_S, LoopWatch
from daist.engine.monitor import GeneratorMonitor

BLOCK_S = 0.5


class TestLoopWatch(unittest.TestCase):
    def test_a_blocked_loop_shows_as_lag_and_a_full_collection_is_timed(self):
        watch = LoopWatch()
        watch.start()
        self.addCleanup(watch.stop)
        gevent.sleep(INTERVAL_S * 1.5)  # the watcher is asleep, due within one interval
        get_original("time", "sleep")(BLOCK_S)  # blocks the whole loop
        gc.collect()
        gevent.sleep(INTERVAL_S * 2)  # the watcher wakes, late, and records it
        lag = watch.lag()
        self.assertGreaterEqual(lag.max_ms, (BLOCK_S - INTERVAL_S) * 1000)
        self.assertGreaterEqual(lag.p99_ms, lag.max_ms * 0.99)  # few samples: p99 is the max
        self.assertGreater(lag.full_gc_max_ms + watch.full_gc_max_s, 0.0)
        watch.reset()
        self.assertEqual(watch.lag().max_ms, 0.0)
        watch.stop()
        self.assertNotIn(watch._on_gc, gc.callbacks)

    def test_the_monitor_reports_its_own_loop_with_its_own_usage(self):
        monitor = GeneratorMonitor()
        monitor.watch_self(role="worker")
        monitor.start()
        self.addCleanup(monitor.stop)
        gevent.sleep(INTERVAL_S * 1.5)
        get_original("time", "sleep")(BLOCK_S)
        gevent.sleep(INTERVAL_S * 2)
        (usage,) = monitor.usage()
        self.assertEqual(usage.role, "worker")
        self.assertGreaterEqual(usage.loop_lag_max_ms, (BLOCK_S - INTERVAL_S) * 1000)


if __name__ == "__main__":
    unittest.main()
