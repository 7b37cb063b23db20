"""Bounded SDK calls: the parts of ``Cluster`` that need no master (the rest runs against the
stand-in in test_latency_run)."""
import sys
import threading
import time
import unittest

from daist.framework.errors import TargetError
from daist.metrics.cluster import Cluster
from daist.metrics.model_def import Chunk

_chunk = Chunk.from_metrics


class TestBoundedCalls(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(url="http://127.0.0.1:9", user="admin", password="", call_timeout=5)

    def test_values_pass_through(self):
        self.assertEqual(self.cluster.call("add", lambda: 1 + 2), 3)

    def test_errors_become_one_line_target_errors(self):
        def broken():
            raise ValueError("line one\nline two")
        with self.assertRaisesRegex(TargetError, r"^cannot read things on http://127.0.0.1:9: "
                                                 r"ValueError: line one line two$"):
            self.cluster.call("read things", broken)
        self.assertIsNone(self.cluster.unresponsive)

    def test_a_hanging_call_is_abandoned_and_later_calls_fail_at_once(self):
        release = threading.Event()
        self.addCleanup(release.set)
        started = time.monotonic()
        with self.assertRaisesRegex(TargetError, "did not answer within 0.3 s"):
            self.cluster.call("wait forever", release.wait, timeout=0.3)
        self.assertLess(time.monotonic() - started, 3)
        called = threading.Event()
        with self.assertRaisesRegex(TargetError, "cannot kill: the master .* did not answer"):
            self.cluster.call("kill", called.set)
        self.assertFalse(called.is_set())   # failed at once: not even tried

    def test_quiet_calls_keep_the_console_clean(self):
        def chatty():
            print("Preparing files to send to master... 11.8KB and 1 files")
            print("password advice", file=sys.stderr)
            return 5
        stdout, stderr = sys.stdout, sys.stderr
        with self.assertLogs("daist.metrics", level="DEBUG") as logs:
            self.assertEqual(self.cluster.call("submit", chatty, quiet=True), 5)
        self.assertIs(sys.stdout, stdout)
        self.assertIs(sys.stderr, stderr)
        self.assertIn("Preparing files", logs.output[0])

    def test_not_logged_in(self):
        with self.assertRaisesRegex(TargetError, "not logged in"):
            self.cluster.client


class TestChunks(unittest.TestCase):
    def test_chunk_from_validation_metrics(self):
        chunk = _chunk({"first_index": 2, "enqueue_ms": [0.1], "write_ms": [1.0],
                        "visible_ms": [2.0], "span": [1.0, 2.0], "visible_median_ms": 2.0})
        self.assertEqual((chunk.first_index, chunk.visible_ms, chunk.span), (2, [2.0], (1.0, 2.0)))
        self.assertIsNone(_chunk({"validation_loss": 0.5}))
        with self.assertRaisesRegex(ValueError, "columns of different lengths"):
            _chunk({"first_index": 0, "enqueue_ms": [0.1], "write_ms": [], "visible_ms": [2.0],
                    "span": [1.0, 2.0]})
