import csv
import random
import tempfile
import unittest
from pathlib import Path

import numpy as np

from daist.rest_api.intervals import IntervalRecorder
from daist.rest_api.recorder import Recorder, failure_message
from uts.rest_api.factories import nearest_rank



def request(recorder, name, latency_ms, *, start, exception=None, intended=None, method="GET"):
    context = {"intended": intended} if intended is not None else {}
    recorder.on_request(request_type=method, name=name, response_time=latency_ms,
                        response_length=10, exception=exception, context=context,
                        start_time=start)


class TestRecorder(unittest.TestCase):
    def test_records_only_the_window(self):
        recorder = Recorder()
        request(recorder, "get me", 5.0, start=99.0)                # before any window
        recorder.open_window(100.0)
        request(recorder, "get me", 5.0, start=99.9)                # warm-up: before the start
        request(recorder, "get me", 7.0, start=100.5)
        recorder.close_window(110.0)
        request(recorder, "get me", 9.0, start=110.0)               # after the end
        entry = recorder.entry("get me", "GET", window_s=10.0)
        self.assertEqual(entry.num_requests, 1)
        self.assertAlmostEqual(entry.hdr.p50_ms, 7.0, delta=0.01)
        self.assertEqual(entry.rps, 0.1)

    def test_percentiles_match_the_exact_ones_within_one_percent(self):
        recorder = Recorder()
        recorder.open_window(0.0)
        values = [random.lognormvariate(1.5, 1.0) for _ in range(30_000)]
        for index, value in enumerate(values):
            request(recorder, "get trial", value, start=1.0 + index * 1e-4)
        hdr = recorder.entry("get trial", "GET", window_s=3.0).hdr
        for key, p in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("p99.9", 99.9)):
            exact = nearest_rank(values, p)
            self.assertLessEqual(abs(hdr.percentile(key) - exact), exact * 0.01, key)
        self.assertAlmostEqual(hdr.max_ms, max(values), delta=max(values) * 0.01)

    def test_open_shape_latency_runs_from_the_intended_time(self):
        recorder = Recorder()
        recorder.open_window(0.0)
        request(recorder, "get me", 10.0, start=5.0, intended=4.9)     # sent 100 ms late
        request(recorder, "get me", 10.0, start=6.0, intended=6.0)
        hdr = recorder.entry("get me", "GET", window_s=10).hdr
        self.assertAlmostEqual(hdr.max_ms, 110.0, delta=0.2)
        self.assertAlmostEqual(hdr.min_ms, 10.0, delta=0.02)
        self.assertEqual(recorder.late_sends, 1)

    def test_failures_by_message(self):
        recorder = Recorder()
        recorder.open_window(0.0)

        class HTTPError(Exception):
            pass
        for _ in range(3):
            request(recorder, "get me", 1.0, start=1.0, exception=HTTPError(
                "500 Server Error: Internal Server Error for url: http://127.0.0.1:1/api/v1/me"))
        request(recorder, "get me", 1.0, start=1.0, exception=ConnectionRefusedError(111, "refused"))
        entry = recorder.entry("get me", "GET", window_s=1.0)
        self.assertEqual(entry.num_failures, 4)
        self.assertEqual(entry.failures, {"HTTPError: 500 Server Error: Internal Server Error": 3,
                                          "ConnectionRefusedError: [Errno 111] refused": 1})

    def test_drain_and_merge_equal_direct_recording(self):
        direct, worker_a, worker_b = Recorder(), Recorder(), Recorder()
        master = Recorder(steps=True)
        for recorder in (direct, worker_a, worker_b):
            recorder.open_window(0.0)
        for index in range(2000):
            value = random.uniform(0.5, 200.0)
            failed = RuntimeError("x") if index % 10 == 0 else None
            request(direct, "get trial", value, start=1.0, exception=failed)
            request(worker_a if index % 2 else worker_b, "get trial", value, start=1.0,
                    exception=failed)
        master.merge(worker_a.drain())
        master.merge(worker_b.drain())
        self.assertEqual(worker_a.tallies, {})
        mine, theirs = (r.entry("get trial", "GET", window_s=2.0) for r in (direct, master))
        self.assertEqual(mine.hdr, theirs.hdr)
        self.assertEqual((mine.num_requests, mine.num_failures), (theirs.num_requests, theirs.num_failures))
        self.assertEqual(master.take_step().requests, 2000)
        self.assertEqual(master.take_step().requests, 0)
        self.assertEqual(direct.take_step().requests, 0)   # not a sweep: no step tally kept

    def test_samples_file(self):
        path = Path(tempfile.mkdtemp(prefix="daist-recorder-")) / "samples.csv"
        recorder = Recorder(samples_path=path)
        recorder.open_window(0.0)
        request(recorder, "get me", 2.5, start=1.0)
        request(recorder, "get me", 3.5, start=2.0, exception=RuntimeError("boom"))
        recorder.close()
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        self.assertEqual([(r["latency_ms"], r["ok"]) for r in rows], [("2.500", "1"), ("3.500", "0")])

    def test_messages_have_no_addresses(self):
        self.assertEqual(failure_message(RuntimeError("<object at 0x7f00ab>")), "RuntimeError: <object>")
        self.assertEqual(failure_message("timeout"), "timeout")
        class CatchResponseError(Exception):  # Locust's name (importing locust patches gevent)
            pass
        self.assertEqual(failure_message(CatchResponseError("invalid response: no 'x' key")),
                         "invalid response: no 'x' key")


if __name__ == "__main__":
    unittest.main()


class TestIntervals(unittest.TestCase):
    """The over-time record: wall-clock intervals per endpoint class, shipped like the tallies."""

    CLASSES = {("get a", "GET"): "get", ("list b", "GET"): "list"}

    def feed(self, recorder: IntervalRecorder, start: float, offsets: list[float], *,
             name: str = "get a", failed_every: int = 0, window: tuple[float, float] = (0, 0)):
        count = len(offsets)
        recorder.add([(name, "GET")], np.zeros(count, dtype=np.int64), start + np.array(offsets),
                     10.0 + np.arange(count, dtype=float),
                     failed=np.array([bool(failed_every) and i % failed_every == 0
                                      for i in range(count)]),
                     in_window=np.array([window[0] <= offset < window[1] for offset in offsets]))

    def test_intervals_cover_the_run_and_sum_to_its_requests(self):
        recorder = IntervalRecorder(self.CLASSES, interval_s=2.0)
        start = 1000.0
        self.feed(recorder, start, [0.1 * i for i in range(50)], failed_every=10, window=(1, 4))
        self.feed(recorder, start, [0.5, 6.5], name="list b")
        recorder.note_users(start + 0.2, 3)
        history = recorder.history(warmup_start=start + 0.5, window_start=start + 1,
                                   window_end=start + 4)
        self.assertEqual([i.t_s for i in history.intervals], [0.0, 2.0, 4.0, 6.0])  # gap kept
        self.assertEqual(history.num_requests, 52)
        self.assertEqual(history.num_in_window, 30)
        self.assertEqual(history.intervals[0].users, 3)
        self.assertEqual((history.window_start_s, history.window_end_s), (1.0, 4.0))
        first = history.intervals[0]
        self.assertEqual((first.all.requests, first.scopes["get"].requests,
                          first.scopes["list"].requests), (21, 20, 1))
        self.assertEqual(first.scopes["get"].failures, 2)
        self.assertEqual(first.scopes["get"].p50_ms, 19.0)           # 10..29 ms, nearest rank
        self.assertEqual(history.intervals[3].scopes["list"].requests, 1)
        self.assertEqual(history.intervals[2].scopes["get"].requests, 10)

    def test_partial_first_and_last_intervals_are_as_long_as_the_load_ran_in_them(self):
        recorder = IntervalRecorder(self.CLASSES, interval_s=2.0)
        start = 1001.0                                   # mid-interval: [1000, 1002)
        self.feed(recorder, start, [0.1 * i for i in range(36)])   # 1001.0 .. 1004.5
        recorder.note_users(start + 1.5, 4)              # the first count: the next interval
        history = recorder.history(warmup_start=None, window_start=None, window_end=start + 3.6)
        first, middle, last = history.intervals
        self.assertEqual((first.t_s, first.length_s, first.all.requests), (1.0, 1.0, 10))
        self.assertEqual(first.per_second(first.all.requests), 10.0)   # not 5/s over 2 s
        self.assertEqual((middle.length_s, middle.per_second(middle.all.requests)), (2.0, 10.0))
        self.assertEqual((last.t_s, last.length_s, last.all.requests), (4.0, 0.6, 6))
        self.assertAlmostEqual(last.per_second(last.all.requests), 10.0)  # not 3/s over 2 s
        self.assertEqual(first.users, 4)                 # who sent its requests, not 0

    def test_worker_intervals_merge_on_the_master(self):
        start = 2000.0
        master, workers = IntervalRecorder(self.CLASSES), [IntervalRecorder(self.CLASSES)
                                                           for _ in range(2)]
        for worker in workers:
            self.feed(worker, start, [0.1 * i for i in range(30)], window=(0, 3))
            master.merge(worker.drain())
            self.assertEqual(worker.buckets, {})                    # drained: sent once
        history = master.history(warmup_start=None, window_start=None, window_end=None)
        self.assertEqual(history.num_requests, 60)
        self.assertEqual(history.num_in_window, 60)
        self.assertEqual(history.intervals[0].all.p99_ms, 29.0)
        self.assertEqual(history.intervals[-1].length_s, 0.9)   # the workers' last request
