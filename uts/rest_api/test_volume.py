"""TestVolume at two small levels against a stand-in process, and the sweep's summary."""
from __future__ import annotations

import math
import re
import unittest

from daist.models.locust import EndpointStats, LocustEntry, LocustStatsList
from daist.models.locust import HdrSummary
from daist.rest_api.volume import VolumePoint, class_percentiles, fastest_growing, table_text
from uts.harness import StandinTestCase, remove_results, run_daist
from uts.report.factories import latencies, make_entry, make_stats
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
        small = LocustStatsList(entries=[_entry("a", "list", {10: 18, 20: 2}, 20),
                                         _entry("b", "get", {5: 10}, 5)])
        large = LocustStatsList(entries=[_entry("a", "list", {10: 10, 90: 10}, 90),
                                         _entry("b", "get", {6: 10}, 6)])
        return [VolumePoint(100, small), VolumePoint(1000, large)]

    def test_class_percentiles_merge_the_class_histograms(self):
        self.assertEqual(class_percentiles(self.points()[1].stats)["list"], (10.0, 90.0))
        p50, p95 = class_percentiles(self.points()[1].stats)["get"]
        self.assertEqual(p50, 6.0)
        self.assertTrue(math.isnan(p95))          # 10 requests tell no p95

    def test_table_has_a_row_per_class(self):
        text = table_text(self.points(), title="t")
        self.assertRegex(text, r"(?m)^list\s+10\s+10\s+20\s+90$")
        self.assertRegex(text, r"(?m)^get\s+5\s+6\s+-\s+-$")
        self.assertTrue(re.search(r"p95@1000", text))
        # stats without blocks: judged by the thresholds alone, as compare does
        self.assertIn("fastest-growing p95 from 100 to 1000 experiments (growth beyond the noise, "
                      "judged as compare judges one run per side):\n  a: 20.0 -> 90.0 ms (x4.5)\n",
                      text)


class TestFastestGrowing(unittest.TestCase):
    """Seeded draws (the same every run): growth is named only beyond compare's noise and
    thresholds."""

    LEVELS = {"a": ((40, 200), (160, 200)),      # 4x: named first
              "d": ((20, 300), (50, 300)),       # 2.5x: named
              "c": ((15.1, 100), (19.6, 100)),   # the 15.1 -> 19.6 ms on ~100: not
              "b": ((12, 100), (12, 100)),       # the same, drawn again: not
              "e": ((30, 12), (90, 12))}         # 3x, but 12 requests tell no p95: not

    def points(self) -> list[VolumePoint]:
        levels = []
        for side, experiments in ((0, 100), (1, 1000)):
            entries = [make_entry(f"get {name}", latencies(sides[side][0], sides[side][1],
                                                            seed=10 * side + index))
                       for index, (name, sides) in enumerate(self.LEVELS.items())]
            levels.append(VolumePoint(experiments, make_stats(*entries)))
        return levels

    def test_only_growth_beyond_the_noise_is_named_largest_first(self):
        points = self.points()
        self.assertEqual([row[0] for row in fastest_growing(points)], ["get a", "get d"])
        self.assertEqual(fastest_growing(points[:1]), [])
        self.assertIn("  get a: ", table_text(points, title="t"))


if __name__ == "__main__":
    unittest.main()
