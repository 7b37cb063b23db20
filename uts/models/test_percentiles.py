"""One spelling per percentile: the key ``p99_9`` (data, ``_ms`` added in the load test's
figures), shown as ``p99.9``; files written with the old key ``p999_ms`` still load."""
import json
import unittest
from pathlib import Path

from daist.models import locust, metric_latency, percentiles
from daist.models.locust import HdrSummary, LocustStatsList
from daist.models.serde import to_data

OLD_FILE = (Path(__file__).parents[1] / "report" / "fixtures" / "recorded_testro"
            / "LocustStatsList-A1.json")
"""Written by main before the rename: its summaries say ``p999_ms``."""


class TestSpellings(unittest.TestCase):
    def test_one_key_and_one_display_spelling(self):
        self.assertEqual(percentiles.display("p99_9"), "p99.9")
        for old in ("p99.9", "p999", "p99_9"):
            self.assertEqual(percentiles.key_of(old), "p99_9")
        self.assertEqual(percentiles.key_of("p95"), "p95")
        with self.assertRaises(KeyError):
            percentiles.key_of("p97")
        self.assertEqual(list(metric_latency.PERCENTILES), list(percentiles.PERCENTILES))
        self.assertEqual(list(locust.PERCENTILES),
                         [f"{key}_ms" for key in percentiles.PERCENTILES])

    def test_every_spelling_reads_the_same_figure(self):
        hdr = HdrSummary(count=5000, p99_ms=3.0, p99_9_ms=7.5)
        self.assertEqual({hdr.percentile(n) for n in ("p99.9", "p99_9", "p999")}, {7.5})
        self.assertEqual(hdr.percentile("p99"), 3.0)

    def test_an_old_file_with_p999_ms_loads_and_is_written_with_the_new_key(self):
        raw = json.loads(OLD_FILE.read_text())
        old = [entry["hdr"]["p999_ms"] for entry in raw["entries"]]
        self.assertTrue(any(value > 0 for value in old))
        stats = LocustStatsList.open(OLD_FILE)
        self.assertEqual([entry.hdr.p99_9_ms for entry in stats.entries], old)
        written = to_data(stats.entries[0].hdr)
        self.assertIn("p99_9_ms", written)
        self.assertNotIn("p999_ms", written)


if __name__ == "__main__":
    unittest.main()
