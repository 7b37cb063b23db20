"""The trial code's probes against a local HTTP server, driven by the real SDK bindings (the
whole trial runs on the stand-in in test_latency_run)."""
import http.server
import json
import threading
import time
import types
import unittest

import requests
from determined.common import api
from determined.common.api import bindings

from daist.metrics import model_def
from daist.metrics.model_def import Chunk, ProbeError, WriteProbe, _holds


class Handler(http.server.BaseHTTPRequestHandler):
    delay_s = 0.05

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay_s)
        status = 500 if "/trials/13/" in self.path else 200
        body = b'{"message": "boom"}' if status == 500 else b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass


class TestWriteProbe(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.session = api.Session(self.url, username="u", token="t", cert=None, max_retries=0)
        self.session._persist_http_session()  # as core.Context.start does
        self.addCleanup(self.session.close)
        self.probe = WriteProbe.attach(types.SimpleNamespace(_session=self.session))
        # wait() gives up early when no Core API shipper thread is alive: stand one in
        stop = threading.Event()
        shipper = threading.Thread(target=stop.wait, name=model_def.SHIPPER_THREAD, daemon=True)
        shipper.start()
        self.addCleanup(stop.set)

    def report(self, trial_id, steps, *, group="training", metrics=None):
        body = bindings.v1ReportTrialMetricsRequest(
            group=group, metrics=bindings.v1TrialMetrics(
                metrics=bindings.v1Metrics(avgMetrics=metrics or {"0": 1.5}), trialId=trial_id,
                stepsCompleted=steps, trialRunId=1))
        bindings.post_ReportTrialMetrics(self.session, body=body, metrics_trialId=trial_id)

    def test_times_the_post_of_each_report(self):
        started = time.perf_counter()
        self.report(5, 3, metrics={str(k): 0.5 for k in range(300)})
        self.report(5, 3, group="validation", metrics={"write_ms": [1.0, 2.0]})
        spent = time.perf_counter() - started
        post = self.probe.wait("training", 3, deadline=time.perf_counter() + 1)
        self.assertEqual(post.status, 200)
        self.assertGreaterEqual(post.elapsed_s, Handler.delay_s)
        self.assertLessEqual(post.elapsed_s, spent)
        self.assertEqual(self.probe.wait("validation", 3, deadline=time.perf_counter() + 1).status, 200)

    def test_error_answers_fail_the_report(self):
        with self.assertRaises(Exception):  # the SDK raises too
            self.report(13, 1)
        with self.assertRaisesRegex(ProbeError, "POST of training report 1 answered HTTP 500: .*boom"):
            self.probe.wait("training", 1, deadline=time.perf_counter() + 1)

    def test_other_requests_are_ignored_and_waiting_is_bounded(self):
        self.session.get("api/v1/trials/5/metrics")
        self.session.post("api/v1/trials/5/progress", json={"progress": 0.5, "is_raw": True})
        started = time.perf_counter()
        with self.assertRaisesRegex(ProbeError, "training report 1 was not answered in time"):
            self.probe.wait("training", 1, deadline=started + 0.3)
        self.assertLess(time.perf_counter() - started, 2)

    def test_a_dead_shipper_ends_the_wait(self):
        self.doCleanups()  # stops the stand-in shipper thread, closes the session
        time.sleep(0.05)
        with self.assertRaisesRegex(ProbeError, "metrics thread stopped"):
            self.probe.wait("training", 9, deadline=time.perf_counter() + 30)

    def test_attach_needs_the_core_api_session(self):
        with self.assertRaisesRegex(ProbeError, "no persistent requests session"):
            WriteProbe.attach(types.SimpleNamespace(_session=None))
        self.assertIsInstance(self.session._http_session, requests.Session)


class TestReadAndChunk(unittest.TestCase):
    def test_holds(self):
        answer = {"trials": [{"metrics": [
            {"group": "validation", "data": [{"batches": 4}]},
            {"group": "training", "data": [{"batches": 2}, {"batches": 3}]}]}]}
        self.assertTrue(_holds(answer, 3))
        self.assertFalse(_holds(answer, 4))  # a validation point is not the training report
        self.assertFalse(_holds({"trials": []}, 3))

    def test_chunk_metrics(self):
        chunk = Chunk(first_index=4)
        self.assertFalse(chunk.due())
        chunk.add(enqueue=0.0001, write=0.002, visible=0.0031234567, start_unix=100.0)
        chunk.add(enqueue=0.0002, write=0.004, visible=0.005, start_unix=101.0)
        metrics = chunk.metrics()
        self.assertEqual(metrics["first_index"], 4)
        self.assertEqual(metrics["visible_ms"], [3.1235, 5.0])
        self.assertEqual(metrics["write_ms"], [2.0, 4.0])
        self.assertEqual(metrics["span"][0], 100.0)
        self.assertEqual(metrics["visible_median_ms"], 4.06175)
        json.dumps(metrics)
        chunk.opened -= model_def.CHUNK_SECONDS
        self.assertTrue(chunk.due())
