"""The stand-in's /debug/prom/metrics speaks the master's names, labels and buckets; injected
latency shows in its gRPC histogram; its REST -> gRPC table is the SDK bindings'."""
from __future__ import annotations

import unittest

import requests
from prometheus_client.parser import text_string_to_metric_families

from daist.standin.common.grpc_methods import GRPC_SERVICE, SERVER_STREAM, UNARY, grpc_table
from daist.standin.observe.prom import DEFAULT_BUCKETS
from uts.standin.support import MasterTestCase, bindings_index


def families(text: str) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


class TestGrpcTable(unittest.TestCase):
    def test_every_binding_is_in_the_table_with_its_method_path_and_kind(self) -> None:
        table = {m.name: m for m in grpc_table().methods}
        for binding in bindings_index():
            name = binding.name.split("_", 1)[1]
            with self.subTest(name):
                method = table[name]
                self.assertEqual((method.verb, method.path), (binding.method, binding.template))
                self.assertEqual(method.grpc_type, SERVER_STREAM if binding.stream else UNARY)
        self.assertEqual(len(table), len(bindings_index()))

    def test_fixed_segments_win_over_variables(self) -> None:
        table = grpc_table()
        self.assertEqual(table.lookup("GET", "/api/v1/users/setting").name, "GetUserSetting")
        self.assertEqual(table.lookup("GET", "/api/v1/users/7").name, "GetUser")
        self.assertEqual(table.lookup("POST", "/api/v1/experiments/continue").name,
                         "ContinueExperiment")
        self.assertIsNone(table.lookup("GET", "/info"))


class TestPrometheusMetrics(MasterTestCase):
    def setUp(self) -> None:
        self.admin = self.login()
        self.admin.delete(f"{self.url}/standin/faults", timeout=5)
        self.addCleanup(self.admin.delete, f"{self.url}/standin/faults", timeout=5)

    def metrics(self) -> dict[str, list]:
        response = self.admin.get(f"{self.url}/debug/prom/metrics", timeout=10)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain"))
        return families(response.text)

    def handling(self, samples: list, method: str, suffix: str) -> dict[str, float]:
        return {s.labels.get("le", ""): s.value for s in samples
                if s.name == "grpc_server_handling_seconds" + suffix
                and s.labels["grpc_method"] == method}

    def test_the_metrics_need_a_login_as_on_the_master(self) -> None:
        self.assertEqual(requests.get(f"{self.url}/debug/prom/metrics", timeout=10).status_code,
                         401)

    def test_one_echo_series_for_the_api_and_one_grpc_series_per_method(self) -> None:
        before = self.handling(self.metrics()["grpc_server_handling_seconds"], "GetAgents",
                               "_count")
        for _ in range(3):
            self.assertEqual(self.admin.get(f"{self.url}/api/v1/agents", timeout=10)
                             .status_code, 200)
        self.assertEqual(self.admin.get(f"{self.url}/api/v1/experiments/999999", timeout=10)
                         .status_code, 404)
        found = self.metrics()
        urls = {s.labels["url"] for s in found["echo_requests"]}
        self.assertIn("/api/v1/*", urls)
        self.assertFalse({u for u in urls if u.startswith("/api/v1/") and u != "/api/v1/*"})
        self.assertEqual(set(found["echo_requests"][0].labels), {"code", "method", "host", "url"})
        after = self.handling(found["grpc_server_handling_seconds"], "GetAgents", "_count")
        self.assertEqual(after[""] - before.get("", 0.0), 3.0)
        buckets = self.handling(found["grpc_server_handling_seconds"], "GetAgents", "_bucket")
        self.assertEqual(sorted(float(le) for le in buckets if le != "+Inf"),
                         list(DEFAULT_BUCKETS))
        handled = [s for s in found["grpc_server_handled"]
                   if s.labels["grpc_method"] == "GetExperiment"]
        self.assertEqual([s.labels["grpc_code"] for s in handled], ["NotFound"])
        self.assertEqual({s.labels["grpc_service"] for s in handled}, {GRPC_SERVICE})

    def test_injected_latency_is_inside_the_server_time(self) -> None:
        response = self.admin.post(f"{self.url}/standin/faults", timeout=5,
                                   json={"path": "^/api/v1/job-queues/stats$", "latency_ms": 40})
        self.assertEqual(response.status_code, 200, response.text)
        before = self.handling(self.metrics()["grpc_server_handling_seconds"],
                               "GetJobQueueStats", "_bucket")
        for _ in range(4):
            self.admin.get(f"{self.url}/api/v1/job-queues/stats", timeout=10)
        after = self.handling(self.metrics()["grpc_server_handling_seconds"],
                              "GetJobQueueStats", "_bucket")
        delta = {le: after[le] - before.get(le, 0.0) for le in after}
        self.assertEqual(delta["0.025"], 0.0)  # none of the four took less than 40 ms
        self.assertEqual(delta["+Inf"], 4.0)


if __name__ == "__main__":
    unittest.main()
