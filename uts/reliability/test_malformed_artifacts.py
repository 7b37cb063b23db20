"""Reliability case 11: a malformed or truncated artifact in a results directory. ``python -m
daist.db upload`` names the file, skips it and uploads the rest (exit 1: not everything went
in); the per-test hook does the same and reports the file in its one-line error; ``python -m
daist.report summary`` and ``compare`` name the file, skip it and report the rest."""
from __future__ import annotations

import json
import subprocess
import sys
import types
import unittest

from daist.db.upload import SessionUploader
from daist.framework import paths
from daist.framework.errors import UploadError
from daist.framework.settings import load_settings
from daist.models.metric_latency import Hist, MetricLatencyOpHist
from uts.db.support import (METRICS_TEST, PAYLOAD_TEST, RO_TEST, DbTestCase, daist_db,
                            make_saved_run, remove, tree_digest)


class TestMalformedArtifacts(DbTestCase):
    def setUp(self):
        super().setUp()
        self.run = make_saved_run()
        self.addCleanup(remove, self.run)
        result = self.run.result
        self.truncated = result.files_of("LocustStatsList", test_id=RO_TEST)[0]
        self.wrong_shape = result.files_of("MetricPayloadOpHist", test_id=PAYLOAD_TEST)[0]

    def break_files(self):
        raw = self.truncated.read_bytes()
        self.truncated.write_bytes(raw[: len(raw) // 3])          # cut mid-write
        data = json.loads(self.wrong_shape.read_text())
        data["operations"] = {"write": {"1": {"samples": "not a list"}}}
        self.wrong_shape.write_text(json.dumps(data))

    def test_upload_names_each_bad_file_skips_it_and_uploads_the_rest(self):
        self.break_files()
        before = tree_digest(self.run.directory)
        done = daist_db("upload", str(self.run.directory), env=self.env())
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        errors = done.stderr.splitlines()
        self.assertEqual(len(errors), 2, done.stderr)
        for path, line in zip(sorted([self.truncated, self.wrong_shape]), sorted(errors)):
            self.assertTrue(line.startswith(f"daist: error: skipped {path}: "), line)
        self.assertIn("1 test, 1 artifact uploaded", done.stdout)
        self.assertIn("2 unreadable", done.stdout)
        self.assertEqual(self.sql("SELECT t.test_id, count(*) FROM daist_metric_latency m "
                                  "JOIN daist_metric_sets s ON s.id = m.set_id JOIN daist_tests t "
                                  "ON t.id = s.test_ref GROUP BY t.test_id"),
                         [(METRICS_TEST, len(self.run.op_hist.rows()))])
        self.assertEqual((self.counts()["daist_loads"], self.counts()["perf_tests"]), (0, 0))
        self.assertEqual(tree_digest(self.run.directory), before)  # nothing moved or rewritten

    def test_the_hook_uploads_the_rest_of_the_test_and_names_the_file(self):
        extra = MetricLatencyOpHist(parameters={"metric_count": 2})
        extra.add("write", 1, Hist([1.0, 2.0, 3.0]))
        self.run.result.add(extra, test_id=RO_TEST, tags=("TestRO.test", "extra"))
        self.break_files()
        hook = SessionUploader(load_settings(environ=self.env()))
        session = types.SimpleNamespace(result=self.run.result)
        with self.assertRaises(UploadError) as caught:
            hook(session, RO_TEST)
        message = str(caught.exception)
        self.assertTrue(message.startswith("results of TestRO.test uploaded in part: unreadable "
                                           f"files kept out: {self.truncated.name}: "), message)
        self.assertNotIn("\n", message)
        self.assertEqual(self.sql("SELECT count(*) FROM daist_metric_latency"), [(1,)])
        self.assertTrue(hook.uploaded)  # the end of the run is recorded too


def report_cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "daist.report", *map(str, args)],
                          capture_output=True, text=True, cwd=paths.ROOT, timeout=120)


class TestReportsSkipMalformedArtifacts(unittest.TestCase):
    def setUp(self):
        self.run = make_saved_run()
        self.addCleanup(remove, self.run)
        self.copy = make_saved_run(seed=8)
        self.addCleanup(remove, self.copy)

    def test_summary_and_compare_name_the_file_and_report_the_rest(self):
        stats = self.copy.result.files_of("LocustStatsList", test_id=RO_TEST)[0]
        stats.write_bytes(stats.read_bytes()[:200])
        summary = report_cli("summary", self.copy.directory, "--no-html")
        self.assertEqual(summary.returncode, 0, summary.stderr)
        self.assertNotIn("Traceback", summary.stderr)
        self.assertIn(f"skipped {stats.name}: malformed LocustStatsList", summary.stderr)
        self.assertIn(stats.name, summary.stdout)           # listed under the skipped files
        self.assertIn("Metric latency Test.test: p95 ms by concurrency", summary.stdout)  # the rest
        self.assertNotIn("Load TestRO.test", summary.stdout)
        compare = report_cli("compare", self.run.directory, self.copy.directory, "--force")
        self.assertNotIn("Traceback", compare.stderr)
        self.assertIn(stats.name, compare.stderr)
        self.assertIn(compare.returncode, (0, 1, 2))
        self.assertNotIn("internal error", compare.stderr)

    def test_a_truncated_manifest_still_reports_from_the_file_names(self):
        manifest = next(self.copy.directory.glob("Result-*.json"))
        manifest.write_bytes(manifest.read_bytes()[:-40])
        summary = report_cli("summary", self.copy.directory, "--no-html")
        self.assertEqual(summary.returncode, 0, summary.stderr)
        self.assertIn(f"skipped {manifest.name}", summary.stderr)
        self.assertIn("get experiments", summary.stdout)
