"""Whole daist runs (``python -m daist`` against the embedded stand-in) with the upload on:
the database holds what the results directory holds, row by row, and a later ``python -m
daist.db upload`` of the same directory adds nothing. A refused upload costs no file."""
from __future__ import annotations

import math

from daist.models.db import PerfTestRun
from daist.models.locust import LocustStatsList
from daist.models.metric_latency import MetricLatencyOpHist
from daist.models.percentiles import told_or_none, told_stats
from uts.db.support import DbTestCase, daist_db, tree_digest
from uts.harness import remove_results, run_daist

RO = "daist.rest_api.test_locust.TestRO"
SHORT_LOAD = {"DAIST_LOCUST_RUN_TIME": "3", "DAIST_LOCUST_USERS": "2"}
TINY_SWEEP = {"DAIST_METRICS_CONCURRENCY": "1", "DAIST_METRICS_NUM_BATCHES": "3",
              "DAIST_METRICS_METRIC_COUNT": "4", "DAIST_METRICS_READS": "1"}


class TestUploadedRuns(DbTestCase):
    def daist(self, *args, env):
        run = run_daist(*args, env=env, timeout=240)
        self.addCleanup(remove_results, run)
        return run

    def only(self, result, classname, suffix):
        (path,) = [p for p in result.files_of(classname) if p.suffix == suffix]
        return path

    def test_load_test_rows_equal_its_artifacts(self):
        run = self.daist(RO, env={**SHORT_LOAD, **self.env()})
        self.assertEqual(run.returncode, 0, run.output)
        self.assertRegex(run.stdout, r"(?m)^Uploaded 1 test \(\d+ rows\) to the perf-results "
                                     r"database 127\.0\.0\.1:\d+/")
        result = run.result
        stats = LocustStatsList.open(self.only(result, "LocustStatsList", ".json"))
        perf = PerfTestRun.open(self.only(result, "PerfTestRun", ".txt"))
        self.assertGreater(len(perf.tests), 10)

        (run_row,) = self.sql("SELECT id, commit, branch, time FROM perf_test_runs")
        self.assertEqual(run_row[1:3], (perf.run.commit, perf.run.branch))
        self.assertLessEqual(abs(run_row[3].timestamp() - perf.run.time.unix), 1)
        got = self.sql("SELECT test_name, avg, min, med, max, p90, p95, passes, fails "
                       "FROM perf_tests WHERE run_id = %s ORDER BY test_name", (run_row[0],))
        self.assertEqual(got, [(t.test_name, t.avg, t.min, t.med, t.max, t.p90, t.p95, t.passes,
                                t.fails) for t in sorted(perf.tests, key=lambda t: t.test_name)])
        extra = self.sql("SELECT e.test_name, e.method, e.num_requests, e.num_failures, e.rps, "
                         "e.p99_ms, e.p999_ms, e.hdr_encoded FROM daist_endpoints e "
                         "ORDER BY e.test_name, e.method")
        self.assertEqual(extra, [(e.test_name, e.method, e.num_requests, e.num_failures, e.rps,
                                  told_or_none(e.hdr.p99_ms, "p99", e.hdr.count),
                                  told_or_none(e.hdr.p99_9_ms, "p99.9", e.hdr.count), e.hdr_encoded)
                                 for e in sorted(stats.entries, key=lambda e: e.key)])
        self.assertEqual(self.sql("SELECT p99 FROM perf_tests t JOIN daist_endpoint_history h "
                                  "ON h.perf_test_id = t.id ORDER BY t.test_name"),
                         [(t.p99,) for t in sorted(perf.tests, key=lambda t: t.test_name)])
        self.assertEqual(self.sql("SELECT users, window_s FROM daist_loads"),
                         [(2, stats.run.window_s)])
        self.assertEqual(self.sql("SELECT start_time, end_time, status, settings_digest, system "
                                  "FROM daist_runs"),
                         [(result.start_time.datetime, result.end_time.datetime, "passed",
                           result.metadata["settings_digest"], "standin")])

        counts = self.counts()
        later = daist_db("upload", str(run.results_dir), env=self.env())
        self.assertEqual(later.returncode, 0, later.stderr)
        self.assertIn("1 test, 0 artifacts uploaded (0 rows), 1 already there", later.stdout)
        self.assertEqual(self.counts(), counts)

    def test_metric_sweep_rows_equal_its_artifact(self):
        run = self.daist("daist.metrics.test_latency.Test", env={**TINY_SWEEP, **self.env()})
        self.assertEqual(run.returncode, 0, run.output)
        op_hist = MetricLatencyOpHist.open(self.only(run.result, "MetricLatencyOpHist", ".json"))
        stats = ("count", "min", "max", "mean", "std", "p50", "p90", "p95", "p99", "p99_9")
        got = self.sql(f"SELECT operation, concurrency, metric_count, {', '.join(stats)} "
                       "FROM daist_metric_latency ORDER BY operation, concurrency")
        want = sorted((r["operation"], r["concurrency"], 4,
                       *[None if isinstance(r[s], float) and math.isnan(r[s]) else r[s]
                         for s in stats]) for r in map(told_stats, op_hist.rows()))
        self.assertEqual(got, want)
        self.assertGreaterEqual({r[0] for r in got}, {"enqueue", "write", "visible"})
        self.assertEqual(self.sql("SELECT parameters FROM daist_metric_sets"),
                         [({"metric_count": 4, "num_batches": 3},)])

    def test_refused_upload_fails_the_run_and_keeps_every_file(self):
        run = self.daist(RO, env={**SHORT_LOAD, "DAIST_LOCUST_RUN_TIME": "1",
                                  **self.env(PERF_RESULT_DB_PASS="uts-not-it-Zq81")})
        self.assertEqual(run.returncode, 1, run.output)
        result = run.result
        self.assertEqual(result.tests[f"{RO}.test"].status, "passed")   # the test itself passed
        self.assertEqual(result.outcome.status, "failed")
        lines = [line for line in run.stderr.splitlines() if "not uploaded" in line]
        self.assertEqual(len(lines), 1, run.stderr)
        self.assertRegex(lines[0], r"ERROR results of TestRO\.test not uploaded: the "
                                   r"perf-results database .* refused user '\w+': wrong password "
                                   r"\(from PERF_RESULT_DB_PASS\); they stay in the results "
                                   r"directory \(python -m daist\.db upload .*\)$")
        self.assertNotIn("Traceback", run.stderr)
        for relative in result.files:
            self.assertTrue((run.results_dir / relative).is_file(), relative)
        self.assertEqual(self.sql("SELECT count(*) FROM information_schema.tables WHERE "
                                  "table_schema = %s", (self.target.schema,)), [(0,)])

        before = tree_digest(run.results_dir)
        later = daist_db("upload", str(run.results_dir), env=self.env())
        self.assertEqual(later.returncode, 0, later.stderr)
        self.assertIn("1 test, 1 artifact uploaded", later.stdout)
        self.assertGreater(self.counts()["perf_tests"], 10)
        self.assertEqual(tree_digest(run.results_dir), before)
