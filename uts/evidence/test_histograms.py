"""Reading the master's handling-time histograms: Go's text format, the window's difference
and the interpolated percentiles with their bucket."""
from __future__ import annotations

import unittest

from daist.evidence.histograms import MetricsFormatError, parse_handling
from daist.evidence.server_timing import grpc_method_of, server_timing
from daist.models.locust import EndpointStats, HdrSummary

SERVICE = 'grpc_method="GetExperiments",grpc_service="determined.api.v1.Determined",grpc_type="unary"'


def go_text(counts: list[int], total_s: float) -> str:
    """What client_golang writes (Go's spelling: le="1", no trailing .0) for one method."""
    bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
              "+Inf"]
    lines = ["# HELP grpc_server_handling_seconds Histogram of response latency (seconds).",
             "# TYPE grpc_server_handling_seconds histogram"]
    running = 0
    for bound, count in zip(bounds, counts + [0] * (len(bounds) - len(counts))):
        running += count
        lines.append(f'grpc_server_handling_seconds_bucket{{{SERVICE},le="{bound}"}} {running}')
    lines.append(f"grpc_server_handling_seconds_sum{{{SERVICE}}} {total_s}")
    lines.append(f"grpc_server_handling_seconds_count{{{SERVICE}}} {running}")
    lines.append('echo_requests_total{code="200",host="m:8080",method="GET",url="/api/v1/*"} 7')
    return "\n".join(lines) + "\n"


class TestHistograms(unittest.TestCase):
    def test_go_text_is_read_and_the_window_subtracted(self) -> None:
        before = parse_handling(go_text([2, 0, 0, 0], 0.004))["GetExperiments"]
        after = parse_handling(go_text([2, 0, 0, 10], 0.404))["GetExperiments"]
        window = after.minus(before)
        self.assertEqual(window.count, 10)
        self.assertAlmostEqual(window.total_s, 0.4)
        # all ten in (0.025, 0.05]: the median interpolates to the bucket's middle
        value, lower, upper = window.quantile(0.5)
        self.assertEqual((lower, upper), (0.025, 0.05))
        self.assertAlmostEqual(value, 0.0375)
        value, _, _ = window.quantile(0.95)
        self.assertAlmostEqual(value, 0.025 + 0.025 * 0.95)

    def test_a_rank_in_the_open_bucket_has_no_upper_bound(self) -> None:
        text = go_text([0] * 11 + [4], 80.0)
        value, lower, upper = parse_handling(text)["GetExperiments"].quantile(0.5)
        self.assertEqual((value, lower, upper), (10.0, 10.0, None))

    def test_a_counter_going_down_is_an_error_not_a_negative_count(self) -> None:
        before = parse_handling(go_text([5], 0.01))["GetExperiments"]
        after = parse_handling(go_text([1], 0.002))["GetExperiments"]
        with self.assertRaisesRegex(MetricsFormatError, "restart"):
            after.minus(before)

    def test_text_that_is_not_the_format_names_itself(self) -> None:
        with self.assertRaises(MetricsFormatError):
            parse_handling("grpc_server_handling_seconds_bucket{le=} x y z\n")

    def test_endpoints_get_their_methods_series_or_none(self) -> None:
        listed = EndpointStats(test_name="get experiments", method="GET",
                               path="/api/v1/experiments", hdr=HdrSummary(count=10, p50_ms=50.0,
                                                                           p95_ms=60.0))
        download = EndpointStats(test_name="get checkpoint download", method="GET",
                                 path="/checkpoints/{checkpoint_uuid}", hdr=HdrSummary(count=3))
        timing = server_timing([listed, download], before={},
                               after=parse_handling(go_text([0, 0, 0, 10], 0.4)),
                               source={"url": "u"}, outside_limit_ms=10)
        first, second = timing.endpoints
        self.assertEqual((first.grpc_method, first.server_requests), ("GetExperiments", 10))
        self.assertEqual(first.server_p50_bucket_ms, [25.0, 50.0])
        self.assertEqual(first.outside_p50_range_ms, (0.0, 25.0))
        self.assertEqual(timing.outside_warnings(), [])  # 0 ms outside at the bucket's top
        self.assertIsNone(second.grpc_method)
        self.assertIsNone(second.server_p50_ms)
        self.assertEqual(grpc_method_of("GET", "/api/v1/trials/{trial_id}"), "GetTrial")

    def test_the_warning_needs_the_whole_bucket_above_the_limit(self) -> None:
        slow = EndpointStats(test_name="get experiments", method="GET",
                             path="/api/v1/experiments", hdr=HdrSummary(count=10, p50_ms=80.0))
        timing = server_timing([slow], before={},
                               after=parse_handling(go_text([0, 0, 0, 10], 0.4)),
                               source={}, outside_limit_ms=25)
        (warning,) = timing.outside_warnings()
        self.assertIn("30 to 55 ms", warning)
        timing.outside_limit_ms = 30
        self.assertEqual(timing.outside_warnings(), [])


if __name__ == "__main__":
    unittest.main()
