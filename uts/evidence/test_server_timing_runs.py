"""Whole load tests against a stand-in: time injected inside the master shows in its server
time; time added in front of it (a delaying TCP proxy) shows only in the client's and draws
the outside-the-master warning."""
from __future__ import annotations

import unittest
from urllib.parse import urlsplit

from daist.models.base import open_artifact
from daist.models.evidence import ServerTiming
from uts.evidence.delay_proxy import DelayProxy
from uts.harness import StandinTestCase, remove_results, run_daist
from uts.rest_api.loadruns import PASSWORD, case_id, load_env, set_faults

TEST = "TestExperimentCheckpoints"
"""One endpoint: GET /api/v1/experiments/{id}/checkpoints (GetExperimentCheckpoints)."""
ENDPOINT = "get experiment checkpoints"
DELAY_MS = 40.0


def timing_of(run, name: str = TEST) -> ServerTiming:
    (path,) = run.result.files_of("ServerTiming", test_id=case_id(name))
    artifact = open_artifact(path)
    assert isinstance(artifact, ServerTiming)
    return artifact


class TestServerTimingRuns(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def run_test(self, url: str, **evidence: object):
        env = load_env(url, users=2)
        env.update({f"DAIST_EVIDENCE_{k.upper()}": str(v) for k, v in evidence.items()})
        run = run_daist(f"daist.rest_api.test_locust.{TEST}", env=env, timeout=240)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        return run

    def test_latency_inside_the_master_is_in_its_server_time(self) -> None:
        set_faults(self.url, [{"path": "/checkpoints$", "latency_ms": DELAY_MS}])
        self.addCleanup(set_faults, self.url, [])
        timing = timing_of(self.run_test(self.url))
        entry = next(e for e in timing.endpoints if e.name == ENDPOINT)
        self.assertEqual(entry.grpc_method, "GetExperimentCheckpoints")
        self.assertGreater(entry.server_requests, 0)
        self.assertGreaterEqual(entry.client_p50_ms, DELAY_MS)
        # every request took 40 ms or more inside: the median's bucket starts at 25 ms or later
        lower, upper = entry.server_p50_bucket_ms
        self.assertGreaterEqual(lower, 25.0, entry)
        self.assertGreaterEqual(entry.server_p50_ms, 25.0, entry)
        self.assertIn("interpolated", timing.source["percentiles"])

    def test_latency_in_front_of_the_master_is_outside_and_warned(self) -> None:
        port = urlsplit(self.url).port
        with DelayProxy(port, DELAY_MS / 1000.0) as proxied:
            # each request waits 40 ms in the proxy: client >= server + 40 ms, request by
            # request, so the outside time is at least 40 ms less the server bucket's width
            run = self.run_test(proxied, outside_limit_ms=10)
        timing = timing_of(run)
        entry = next(e for e in timing.endpoints if e.name == ENDPOINT)
        self.assertGreaterEqual(entry.client_p50_ms, DELAY_MS)
        self.assertLess(entry.server_p50_ms, entry.client_p50_ms - 15.0, entry)
        warnings = timing.outside_warnings()
        self.assertEqual(len([w for w in warnings if w.startswith(ENDPOINT + ":")]), 1, warnings)
        self.assertIn(f"{ENDPOINT}: ", run.output)
        self.assertIn("outside the master", run.output)


if __name__ == "__main__":
    unittest.main()
