import tempfile
import unittest
from pathlib import Path

from daist.models.base import Format, FormatError, open_artifact
from daist.models.db import PerfTestRow, PerfTestRun
from daist.models.locust import EndpointStats
from daist.models.timestamp import Timestamp
from uts.rest_api.factories import make_entry, make_stats

GOLDEN_HEADER = ("| Test Name       | Avg    | Min   | Med    | Max     | P90    | P95    | P99    "
                 "| Passes | Fails |")


class TestPerfTestRun(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="daist-db-model-"))
        values = [float(v) for v in range(1, 101)]                  # 1..100 ms
        self.stats = make_stats(make_entry("get experiments", latencies=values, failures=4),
                                make_entry("get trial", latencies=[2.5] * 10))
        self.run = PerfTestRun.of(self.stats, commit="1a2b3c4", branch="main",
                                  time=Timestamp(1722278982.7))

    def test_rows_come_from_the_exact_figures(self):
        row = self.run.tests[0]
        self.assertEqual(row.test_name, "get experiments")
        self.assertEqual((row.passes, row.fails), (96, 4))
        self.assertAlmostEqual(row.avg, 50.5)
        self.assertEqual((row.min, row.max), (1.0, 100.0))
        for got, exact in ((row.med, 50), (row.p90, 90), (row.p95, 95), (row.p99, 99)):
            self.assertAlmostEqual(got, exact, delta=exact * 0.001)
        self.assertEqual(self.run.run.time, Timestamp(1722278982))   # whole seconds, like the DB

    def test_text_round_trip_and_layout(self):
        path = self.run.save(self.dir / PerfTestRun.filename(tags=("TestRO.test",)))
        self.assertTrue(path.name.endswith(".txt"))
        text = path.read_text()
        self.assertTrue(text.startswith("PerfTestRunsTable:\n+"))
        self.assertIn("\nPerfTestsTable:\n", text)
        self.assertIn("| 1a2b3c4 | main   | 2024-07-29T18:49:42Z |", text)
        self.assertIn(GOLDEN_HEADER, text)
        self.assertIn("|     96 |     4 |", text)                  # counts right-aligned
        loaded = open_artifact(path)
        self.assertEqual(loaded, self.run)

    def test_json_round_trip(self):
        path = self.run.save(self.dir / PerfTestRun.filename(fmt=Format.JSON))
        self.assertEqual(open_artifact(path), self.run)

    def test_endpoint_without_requests_is_left_out_and_never_divides_by_zero(self):
        empty = EndpointStats(test_name="get me", method="GET")
        run = PerfTestRun.of(make_stats(empty, make_entry("get trial")), commit="c", branch="b")
        self.assertEqual([t.test_name for t in run.tests], ["get trial"])
        self.assertEqual(PerfTestRow.of(empty).avg, 0.0)

    def test_malformed_text_is_refused(self):
        bad = self.dir / "PerfTestRun-bad.txt"
        bad.write_text("PerfTestsTable:\n| Test Name |\n")
        with self.assertRaises(FormatError):
            PerfTestRun.open(bad)
        text = self.run.to_text(Format.TXT).replace("|     96 |", "|     96 | extra |", 1)
        bad.write_text(text)
        with self.assertRaises(FormatError):
            PerfTestRun.open(bad)


if __name__ == "__main__":
    unittest.main()
