import json
import shutil
import tempfile
import unittest
from pathlib import Path

from daist.models.base import Figure
from daist.models.result import FileMeta, Result
from daist.report.loader import RunLoadError, load_run
from daist.report.summary import summary_text
from uts.report.factories import (LOAD_TEST, METRIC_TEST, artifact_path, latencies, make_entry,
                                  make_op_hist, make_run_dir, make_stats)


def sample_dir(root: Path | None = None) -> Path:
    stats = make_stats(make_entry("get experiments", latencies(12, 60, seed=1)),
                       make_entry("get \"trial\" <b>", latencies(30, 60, seed=2), failures=3))
    op_hist = make_op_hist({1: {"write": latencies(5, 16, seed=3)}, 2: {"write": latencies(6, 16, seed=4)}})
    return make_run_dir(root, locust={LOAD_TEST: stats}, metrics={METRIC_TEST: op_hist})


class TestLoadRun(unittest.TestCase):
    def setUp(self):
        self.root = Path(tempfile.mkdtemp(prefix="daist-report-loader-"))
        self.addCleanup(shutil.rmtree, self.root)
        self.dir = sample_dir(self.root)

    def manifest(self) -> Path:
        (path,) = self.dir.glob("Result-*.json")
        return path

    def test_reads_every_artifact_by_its_classname(self):
        run = load_run(self.dir)
        self.assertEqual(run.skipped, [])
        self.assertTrue(run.manifest_readable)
        self.assertEqual(list(run.locust), ["TestRO.test"])
        self.assertEqual(run.locust["TestRO.test"].test_id, LOAD_TEST)
        self.assertEqual([e.test_name for e in run.locust["TestRO.test"].stats.entries],
                         ["get experiments", "get \"trial\" <b>"])
        self.assertEqual(list(run.metrics), ["Test.test"])
        self.assertEqual(run.metrics["Test.test"].op_hist.levels("write"), [1, 2])
        self.assertEqual(run.setting("standin", "scale"), "20")
        self.assertEqual(run.target_scale, 20)
        self.assertEqual(load_run(self.manifest()).directory, self.dir.resolve())

    def test_a_copied_directory_reads_the_same(self):
        copy = Path(shutil.copytree(self.dir, self.root / "elsewhere" / "copy"))
        shutil.rmtree(self.dir)
        run = load_run(copy)
        self.assertEqual(run.skipped, [])
        self.assertEqual(run.directory, copy.resolve())
        self.assertEqual(run.locust["TestRO.test"].stats.entries[1].num_failures, 3)

    def test_figures_are_loaded_unless_asked_not_to(self):
        result = Result.open(self.manifest())
        result.add(Figure(png=b"\x89PNG\r\n\x1a\n" + bytes(40)), test_id=METRIC_TEST,
                   tags=("Test.test", "write"), classname="MetricLatencyOpHist")
        run = load_run(self.dir)
        self.assertEqual([(f.key, f.classname, f.tags) for f in run.figures],
                         [("Test.test", "MetricLatencyOpHist", ("write",))])
        self.assertEqual(load_run(self.dir, figures=False).figures, [])

    def test_truncated_artifact_is_skipped_and_named(self):
        path = artifact_path(self.dir, "LocustStatsList")
        path.write_bytes(path.read_bytes()[:200])
        run = load_run(self.dir)
        self.assertEqual(len(run.skipped), 1)
        self.assertTrue(run.skipped[0].startswith(f"{path.name}: "), run.skipped)
        self.assertIn("malformed LocustStatsList", run.skipped[0])
        self.assertEqual(run.locust, {})
        self.assertEqual(list(run.metrics), ["Test.test"])           # the rest still reads
        self.assertIn(path.name, summary_text(run))

    def test_wrong_shapes_missing_files_and_fake_pngs_are_skipped(self):
        op_hist = artifact_path(self.dir, "MetricLatencyOpHist")
        op_hist.write_text(json.dumps({"classname": "MetricLatencyOpHist",
                                       "operations": {"write": {"1": {"samples": ["x"]}}}}))
        stats = artifact_path(self.dir, "LocustStatsList")
        stats.unlink()
        result = Result.open(self.manifest())
        fake = self.dir / "Hist-Test.test-write-1-2024-07-29T18-49-42Z.png"
        fake.write_bytes(b"not a png")
        result.record(fake, classname="Hist", test_id=METRIC_TEST)
        result.files["../LocustStatsList-x.json"] = FileMeta(classname="LocustStatsList")  # edited by hand
        result.save_manifest()
        run = load_run(self.dir)
        reasons = dict(item.split(": ", 1) for item in run.skipped)
        self.assertEqual(set(reasons), {op_hist.name, stats.name, fake.name, "../LocustStatsList-x.json"})
        self.assertEqual(reasons[stats.name], "missing")
        self.assertEqual(reasons["../LocustStatsList-x.json"], "outside the results directory")
        self.assertIn("not a PNG", reasons[fake.name])
        self.assertEqual((run.locust, run.metrics, run.figures), ({}, {}, []))

    def test_malformed_manifest_falls_back_to_the_file_names(self):
        manifest = self.manifest()
        manifest.write_text(manifest.read_text()[:300])
        run = load_run(self.dir)
        self.assertFalse(run.manifest_readable)
        self.assertEqual(len(run.skipped), 1)
        self.assertTrue(run.skipped[0].startswith(manifest.name + ": "))
        self.assertEqual(list(run.locust), ["TestRO.test"])
        self.assertEqual(list(run.metrics), ["Test.test"])
        self.assertEqual(run.result.outcome.status, "unknown")
        self.assertIn("daist run unknown", summary_text(run))

    def test_unusable_paths_are_one_line_errors(self):
        with self.assertRaisesRegex(RunLoadError, "no such results directory"):
            load_run(self.root / "nope")
        empty = self.root / "empty"
        empty.mkdir()
        with self.assertRaisesRegex(RunLoadError, r"has no Result-\*\.json manifest"):
            load_run(empty)
        with self.assertRaisesRegex(RunLoadError, "is a results root, not one run"):
            load_run(self.root)
        shutil.copy(self.manifest(), self.dir / "Result-other-2024-07-29T18-49-43Z.json")
        with self.assertRaisesRegex(RunLoadError, "holds 2 manifests"):
            load_run(self.dir)
