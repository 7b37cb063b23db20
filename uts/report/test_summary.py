import unittest

from daist.models.locust import StepPoint
from daist.models.result import TestRecord
from daist.report import fmt
from daist.report.html import render_report
from daist.report.loader import load_run
from daist.report.summary import summary_text
from uts.report.factories import (LOAD_TEST, METRIC_TEST, latencies, make_entry, make_op_hist,
                                  make_run_dir, make_stats)

MEDIANS = {f"get endpoint {i:02d}": 2.0 + 3 * i for i in range(14)}


def summary_of(*, saturated=False, steps=None, tests=None, metadata=None) -> tuple[str, object]:
    entries = [make_entry(name, latencies(median, 40, seed=i), failures=2 if i == 3 else 0,
                          message="HTTPError('503 Service Unavailable')")
               for i, (name, median) in enumerate(MEDIANS.items())]
    stats = make_stats(*entries, saturated=saturated, steps=steps)
    op_hist = make_op_hist({level: {"write": latencies(4 * level, 16, seed=level),
                                    "visible": latencies(9 * level, 16, seed=level + 9)}
                            for level in (1, 2, 4)})
    run = load_run(make_run_dir(locust={LOAD_TEST: stats}, metrics={METRIC_TEST: op_hist},
                                tests=tests, metadata=metadata))
    return summary_text(run), run


class TestSummary(unittest.TestCase):
    def test_one_screen_with_metadata_verdicts_slowest_failures_and_metric_table(self):
        tests = {LOAD_TEST: TestRecord("failed", 31.5, "get endpoint 13: p95 88.1 ms > 50 ms"),
                 METRIC_TEST: TestRecord("passed", 12.0)}
        text, run = summary_of(tests=tests)
        lines = text.splitlines()
        self.assertLessEqual(len(lines), 60)
        self.assertTrue(all(len(line) <= 140 for line in lines), max(lines, key=len))
        self.assertTrue(lines[0].startswith("daist run passed: 2 tests run"))
        self.assertIn("Target: standin at http://127.0.0.1:8080, Determined 0.38.1", text)
        self.assertIn("20 seeded experiments", text)
        self.assertRegex(text, r"failed +TestRO\.test +31\.5 s  get endpoint 13: p95 88\.1 ms > 50 ms")
        self.assertRegex(text, r"passed +Test\.test +12\.0 s")
        # the slowest 8 by p95, slowest first, with the exact HDR figures
        stats = run.locust["TestRO.test"].stats
        expected = sorted(stats.entries, key=lambda e: -e.hdr.p95_ms)[:8]
        shown = [line.strip().split("  ")[0] for line in lines
                 if line.startswith("    GET get endpoint")]
        self.assertEqual(shown, [f"GET {e.test_name}" for e in expected])
        top = expected[0]
        # p99 from 40 samples would be their slowest: "-" (p99 needs 100)
        self.assertRegex(text, rf"GET {top.test_name} +40 +2\.00 +{fmt.ms(top.hdr.p50_ms)} +"
                               rf"{fmt.ms(top.hdr.p95_ms)} +- +0\.0%")
        self.assertIn("Failures (2 of 560 requests):", text)
        self.assertIn("2  GET get endpoint 03: HTTPError('503 Service Unavailable')", text)
        # metric latency: p95 per operation and level
        op_hist = run.metrics["Test.test"].op_hist
        self.assertRegex(text, r"\n  write +- +- +-\n")   # p95 of 16 samples: none told
        self.assertIn("Metric latency Test.test: p95 ms by concurrency (num_batches=64, metric_count=8)", text)
        self.assertNotIn("WARNING", text)

    def test_saturation_warning_and_sweep(self):
        steps = [StepPoint(users=1, rps=90, p95_ms=4, num_requests=19),
                 StepPoint(users=2, rps=170, p95_ms=5, num_requests=20, knee=True)]
        text, _ = summary_of(saturated=True, steps=steps)
        self.assertIn("WARNING: the load generator was saturated (local 95% CPU)", text)
        self.assertRegex(text, r"\n +1 +90\.00 +- +0\.0%\n")   # 19 requests tell no p95
        self.assertRegex(text, r"\n +2 +170 +5\.00 +0\.0% +knee\n")

    def test_injected_faults_are_said_at_the_top(self):
        faults = [{"path": "^/api/v1/agents$", "method": None, "error_rate": 1, "status": 503,
                   "sequence": "x.", "latency_ms": 0.0, "matched": 12},
                  {"path": "/api/v1/master", "latency_ms": 30.0, "jitter_ms": 5.0, "count": 3}]
        text, _ = summary_of(metadata={"standin_faults": faults})
        self.assertEqual(text.splitlines()[4:6], [
            "WARNING: faults were injected into the stand-in (2 rules): ^/api/v1/agents$: 503 errors at rate 1",
            "  (sequence x.); /api/v1/master: +30 ±5 ms latency (next 3 only)"])
        page = render_report(load_run(make_run_dir(metadata={"standin_faults": faults[:1]})))
        self.assertIn("<strong>Not a clean run:</strong> faults were injected into the stand-in "
                      "(1 rule): ^/api/v1/agents$: 503 errors at rate 1 (sequence x.)", page)
        self.assertLess(page.index("Not a clean run"), page.index("<h2>"))
        clean, _ = summary_of(metadata={"standin_faults": []})
        self.assertNotIn("faults", clean)

    def test_run_without_tests_or_artifacts(self):
        run = load_run(make_run_dir(status="error"))
        run.result.error = "the target refused the login"
        text = summary_text(run)
        self.assertTrue(text.startswith("daist run error: 0 tests run"))
        self.assertIn("Error: the target refused the login", text)
        self.assertNotIn("Tests:", text)
