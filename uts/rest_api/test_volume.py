"""TestVolume at two small levels against a stand-in process, and the sweep's summary."""
from __future__ import annotations

import re
import unittest

from daist.models.locust import EndpointStats, LocustEntry, LocustStatsList
from daist.models.locust import HdrSummary
from daist.rest_api.volume import VolumePoint, class_percentiles, fastest_growing, table_text
from uts.harness import StandinTestCase, remove_results, run_daist
from uts.rest_api.loadruns import MODULE, case_id, counts, load_env

LEVELS = (3, 8)


class TestVolumeRun(StandinTestCase):
    def run_volume(self, **extra: str):
        env = {**load_env(self.url), "DET_PASSWORD": "", "DAIST_VOLUME_LEVELS": "3,8",
               "DAIST_VOLUME_SEED_CONCURRENCY": "2", "DAIST_LOCUST_RUN_TIME": "2", **extra}
        run = run_daist(f"{MODULE}.TestVolume", env=env, timeout=180)
        self.addCleanup(remove_results, run)
        return run

    def test_two_levels_then_removed(self):
        before = counts(self.url)
        run = self.run_volume()
        self.assertEqual(run.returncode, 0, run.output)
        stats = [p for p in run.result.files_of("LocustStatsList", test_id=case_id("TestVolume"))
                 if p.suffix == ".json"]
        self.assertEqual(len(stats), 2)
        (table,) = [p for p in run.result.files_of("LocustStatsList",
                                                    test_id=case_id("TestVolume"))
                    if p.suffix == ".txt"]
        text = table.read_text()
        base = before["experiments"]
        for level in LEVELS:
            self.assertIn(f"p95@{base + level}", text)
        self.assertRegex(text, r"(?m)^list\s+\d")
        self.assertIn("fastest-growing p95", text)
        self.assertEqual(len([p for p in run.result.files_of("LocustStatsList",
                                                             test_id=case_id("TestVolume"))
                              if p.suffix == ".png"]), 1)
        after = counts(self.url)
        for kind in ("experiments", "trials", "workspaces", "projects", "models"):
            self.assertEqual(after[kind], before[kind], kind)

    def test_skips_without_levels(self):
        run = self.run_volume(DAIST_VOLUME_LEVELS="")
        self.assertEqual(run.returncode, 0, run.output)
        self.assertEqual(run.result.tests[case_id("TestVolume")].status, "skipped")

    def test_keep_leaves_the_last_level(self):
        before = counts(self.url)
        run = self.run_volume(DAIST_VOLUME_LEVELS="2", DAIST_VOLUME_KEEP="true",
                              DAIST_VOLUME_LABEL="kept")
        self.assertEqual(run.returncode, 0, run.output)
        self.assertEqual(counts(self.url)["experiments"], before["experiments"] + 2)
        removed = run_daist_seed_remove(self.url, "kept")
        self.assertEqual(removed.returncode, 0, removed.stdout + removed.stderr)
        self.assertEqual(counts(self.url)["experiments"], before["experiments"])


def run_daist_seed_remove(url: str, label: str):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DET_", "DAIST_"))}
    return subprocess.run([sys.executable, "-m", "daist.seed", "--remove", "--label", label],
                          env={**env, "DET_MASTER": url, "DET_PASSWORD": ""},
                          capture_output=True, text=True, timeout=120)


def _entry(name: str, kind: str, times: dict[int, int], p95: float) -> EndpointStats:
    return EndpointStats(test_name=name, endpoint_class=kind, num_requests=sum(times.values()),
                         hdr=HdrSummary(count=sum(times.values()), p95_ms=p95),
                         locust=LocustEntry(name=name, response_times=times))


class TestSummary(unittest.TestCase):
    def points(self) -> list[VolumePoint]:
        small = LocustStatsList(entries=[_entry("a", "list", {10: 9, 20: 1}, 20),
                                         _entry("b", "get", {5: 10}, 5)])
        large = LocustStatsList(entries=[_entry("a", "list", {10: 5, 90: 5}, 90),
                                         _entry("b", "get", {6: 10}, 6)])
        return [VolumePoint(100, small), VolumePoint(1000, large)]

    def test_class_percentiles_merge_the_class_histograms(self):
        self.assertEqual(class_percentiles(self.points()[1].stats),
                         {"get": (6.0, 6.0), "list": (10.0, 90.0)})

    def test_fastest_growing_first(self):
        self.assertEqual([row[0] for row in fastest_growing(self.points())], ["a", "b"])
        self.assertEqual(fastest_growing(self.points()[:1]), [])

    def test_table_has_a_row_per_class(self):
        text = table_text(self.points(), title="t")
        self.assertRegex(text, r"(?m)^list\s+10\s+10\s+20\s+90$")
        self.assertIn("a: 20.0 -> 90.0 ms (x4.5)", text)
        self.assertTrue(re.search(r"p95@1000", text))


if __name__ == "__main__":
    unittest.main()
