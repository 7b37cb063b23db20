"""daist.db.upload against PostgreSQL: what goes in reads back equal to the artifacts, row by
row; uploading again adds nothing; hostile names are stored verbatim; failures are one clear
sentence and leave the results directory as it was."""
from __future__ import annotations

import dataclasses
import math
import os
import socket
import types
from unittest import mock

from daist.db.connection import DatabaseError
from daist.db.upload import SessionUploader, upload_result
from daist.framework.errors import UploadError
from daist.framework.settings import load_settings
from daist.models.redaction import Secret
from daist.models.db import PerfTestRun
from daist.models.percentiles import told_or_none, told_stats
from daist.models.timestamp import Timestamp
from uts.db.support import (METRICS_TEST, PAYLOAD_TEST, RO_TEST, SavedRunCase, make_saved_run,
                            remove, reopen, run_concurrently, tree_digest)

HOSTILE = "get 'experiments\"; DROP TABLE perf_tests; --"


def expected_perf_run(run, result) -> PerfTestRun:
    """The historical rows the artifacts stand for (the models' own mapping)."""
    (path,) = [p for p in result.files_of("LocustStatsList", test_id=RO_TEST)
               if p.suffix == ".json"]
    recorded = result.files[result.relative(path)].time
    return PerfTestRun.of(run.stats, commit=result.metadata["git_commit"],
                          branch=result.metadata["git_branch"], time=recorded)


class TestRoundTrip(SavedRunCase):
    def test_rows_read_back_equal_the_artifacts(self):
        result = reopen(self.run)
        report = upload_result(self.target, result)
        self.assertEqual((report.tests, report.artifacts, report.present, report.skipped),
                         (3, 3, 0, []))
        self.assertEqual(report.rows, sum(self.counts().values()) - 1 - 3)  # not runs/tests rows

        # historical: one run row and one row per endpoint with requests, as PerfTestRun says
        perf = expected_perf_run(self.run, result)
        (run_row,) = self.sql("SELECT id, commit, branch, time FROM perf_test_runs")
        self.assertEqual(run_row[1:], (perf.run.commit, perf.run.branch, perf.run.time.datetime))
        got = self.sql("SELECT test_name, avg, min, med, max, p90, p95, passes, fails "
                       "FROM perf_tests WHERE run_id = %s ORDER BY test_name", (run_row[0],))
        want = [(t.test_name, t.avg, t.min, t.med, t.max, t.p90, t.p95, t.passes, t.fails)
                for t in sorted(perf.tests, key=lambda t: t.test_name)]
        self.assertEqual(got, want)

        # daist: every endpoint (also the one without requests), linked to its historical row
        endpoints = self.sql(
            "SELECT e.test_name, e.method, e.path, e.endpoint_class, e.num_requests, "
            "e.num_failures, e.rps, e.hdr_count, e.min_ms, e.mean_ms, e.p50_ms, e.p90_ms, "
            "e.p95_ms, e.p99_ms, e.p999_ms, e.max_ms, e.failures, e.hdr_encoded, t.p95 "
            "FROM daist_endpoints e LEFT JOIN perf_tests t ON t.id = e.perf_test_id "
            "ORDER BY e.test_name, e.method")
        want = []
        for e in sorted(self.run.stats.entries, key=lambda e: e.key):
            h = e.hdr
            told = [told_or_none(h.percentile(n), n, h.count) for n in ("p90", "p95", "p99", "p99.9")]
            want.append((e.test_name, e.method, e.path, e.endpoint_class, e.num_requests,
                         e.num_failures, e.rps, h.count, h.min_ms, h.mean_ms, h.p50_ms, *told,
                         h.max_ms, e.failures, e.hdr_encoded, told[1] if e.num_requests else None))
        self.assertEqual(endpoints, want)

        # the load shape and its steps
        info = self.run.stats.run
        plan = info.plan.columns()
        (load,) = self.sql("SELECT shape, users, rate, spawn_rate, steps, target, user_class, "
                           "workers, window_start, window_end, window_s, run_time_s, "
                           "interrupted, saturated, generator, perf_test_run_id FROM daist_loads")
        self.assertEqual(load, (plan["shape"], plan["users"], plan["rate"], plan["spawn_rate"],
                                plan["steps"], info.target, plan["user_class"], plan["workers"],
                                info.window_start.datetime, info.window_end.datetime,
                                info.window_s, plan["run_time_s"], False, False, [], run_row[0]))
        steps = self.sql("SELECT users, rps, p95_ms, p99_ms, fail_ratio, num_requests, knee "
                         "FROM daist_load_steps ORDER BY position")
        self.assertEqual(steps, [(s.users, s.rps, s.p95_ms, s.p99_ms, s.fail_ratio,
                                  s.num_requests, s.knee) for s in self.run.stats.steps])

        # metric latency: one row per operation and level, statistics and samples
        for test_id, op_hist in ((METRICS_TEST, self.run.op_hist),
                                 (PAYLOAD_TEST, self.run.payload)):
            rows = self.sql(
                "SELECT m.operation, m.level, m.count, m.min, m.max, m.mean, m.std, m.p50, "
                "m.p90, m.p95, m.p99, m.p99_9, m.samples, s.axis, s.parameters "
                "FROM daist_metric_latency m JOIN daist_metric_sets s ON s.id = m.set_id "
                "JOIN daist_tests t ON t.id = s.test_ref WHERE t.test_id = %s "
                "ORDER BY m.operation, m.level", (test_id,))
            want = []
            for r in sorted(map(told_stats, op_hist.rows()), key=lambda r: (r["operation"], r[op_hist.axis])):
                level = r[op_hist.axis]
                stats = [None if isinstance(r[k], float) and math.isnan(r[k]) else r[k]
                         for k in ("min", "max", "mean", "std", "p50", "p90", "p95", "p99", "p99_9")]
                want.append((r["operation"], level, r["count"], *stats,
                             op_hist.operations[r["operation"]][level].samples, op_hist.axis,
                             op_hist.parameters))
            self.assertEqual(rows, want, test_id)

        # the run and its tests
        (run,) = self.sql("SELECT host_label, start_time, settings_digest, end_time, system, "
                          "git_commit, git_branch, determined_server, status, metadata "
                          "FROM daist_runs")
        self.assertEqual(run, ("standin", result.start_time.datetime,
                               result.metadata["settings_digest"], result.end_time.datetime,
                               "standin", "1a2b3c4d5e6f7", "main", "0.38.1", "passed",
                               result.metadata))
        tests = self.sql("SELECT test_id, status, duration_s FROM daist_tests ORDER BY test_id")
        self.assertEqual(tests, sorted((t, "passed", result.tests[t].duration_s)
                                       for t in (RO_TEST, METRICS_TEST, PAYLOAD_TEST)))

    def test_a_second_upload_adds_nothing(self):
        first = upload_result(self.target, reopen(self.run))
        before = self.counts()
        second = upload_result(self.target, reopen(self.run))
        self.assertEqual(self.counts(), before)
        self.assertEqual((second.artifacts, second.present, second.rows), (0, 3, 0))
        self.assertGreater(first.rows, 0)

    def test_live_upload_then_the_finished_directory_adds_nothing(self):
        live = make_saved_run(seed=11, finished=False)     # what the hook sees mid-run
        self.addCleanup(remove, live)
        upload_result(self.target, live.result, test_ids=[RO_TEST])
        before = self.counts()
        self.assertEqual(self.sql("SELECT end_time, status FROM daist_runs"), [(None, "running")])
        live.result.end_time = Timestamp(live.result.start_time.unix + 40)
        live.result.outcome.status = "failed"
        live.result.save_manifest()
        report = upload_result(self.target, reopen(live))   # the later upload of the directory
        after = self.counts()
        self.assertEqual(report.present, 1)
        self.assertEqual({t: after[t] - before[t] for t in after if after[t] != before[t]},
                         {"daist_tests": 2, "daist_metric_sets": 2,
                          "daist_metric_latency": after["daist_metric_latency"]})
        self.assertEqual(self.sql("SELECT end_time, status FROM daist_runs"),
                         [(live.result.end_time.datetime, "failed")])

    def test_concurrent_uploads_of_one_directory_write_it_once(self):
        errors = run_concurrently(lambda: upload_result(self.target, reopen(self.run)))
        self.assertEqual(errors, [])
        counts = self.counts()
        self.assertEqual((counts["daist_runs"], counts["perf_test_runs"], counts["daist_loads"]),
                         (1, 1, 1))

    def test_two_runs_are_two_runs(self):
        other = make_saved_run(seed=8, start=self.run.result.start_time.unix + 1)
        self.addCleanup(remove, other)
        upload_result(self.target, reopen(self.run))
        upload_result(self.target, reopen(other))
        self.assertEqual(self.counts()["daist_runs"], 2)
        self.assertEqual(self.counts()["perf_test_runs"], 2)


class TestHostileNames(SavedRunCase):
    def test_quotes_and_drop_table_are_stored_verbatim(self):
        run = make_saved_run(test_name=HOSTILE)
        self.addCleanup(remove, run)
        upload_result(self.target, reopen(run))
        self.assertEqual(self.sql("SELECT count(*) FROM perf_tests WHERE test_name = %s",
                                  (HOSTILE,)), [(1,)])
        self.assertEqual(self.sql("SELECT test_name FROM daist_endpoints WHERE test_name = %s",
                                  (HOSTILE,)), [(HOSTILE,)])
        self.assertEqual(self.counts()["perf_tests"], 3)     # the table is still there


class TestFailures(SavedRunCase):
    def test_wrong_password_is_one_clear_sentence_and_keeps_the_directory(self):
        wrong = "not-the-password-%s"
        target = dataclasses.replace(self.target, password=Secret(wrong),
                                     password_source="PERF_RESULT_DB_PASS")
        before = tree_digest(self.run.directory)
        with self.assertRaises(DatabaseError) as caught:
            upload_result(target, reopen(self.run))
        message = str(caught.exception)
        self.assertRegex(message, r"^the perf-results database 127\.0\.0\.1:\d+/\w+ \(schema "
                                  r"\w+\) refused user '\w+': wrong password \(from "
                                  r"PERF_RESULT_DB_PASS\)$")
        self.assertNotIn(wrong, message)
        self.assertEqual(tree_digest(self.run.directory), before)

    def test_unreachable_server(self):
        with socket.socket() as probe:                     # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        target = dataclasses.replace(self.target, port=port)
        with self.assertRaisesRegex(DatabaseError, rf"^cannot reach the perf-results database "
                                                   rf"127\.0\.0\.1:{port}/.*: connection refused$"):
            upload_result(target, reopen(self.run))

    def test_nothing_to_upload_never_connects(self):
        target = dataclasses.replace(self.target, port=1)   # would fail if it connected
        report = upload_result(target, reopen(self.run), test_ids=["daist.test_target.Test.x"])
        self.assertEqual((report.tests, report.rows), (0, 0))

    def test_a_failed_test_rolls_back_alone(self):
        upload_result(self.target, reopen(self.run), test_ids=[METRICS_TEST])
        before = self.counts()
        self.sql("ALTER TABLE daist_endpoints ADD CONSTRAINT uts_no_rows CHECK (false)")
        with self.assertRaisesRegex(DatabaseError, r"^uploading daist\.rest_api\.test_locust\."
                                                   r"TestRO\.test failed in the perf-results "
                                                   r"database .*uts_no_rows.*\(SQLSTATE 23514\)$"):
            upload_result(self.target, reopen(self.run))
        self.assertEqual(self.counts(), before)             # no half-written test


class TestSessionHook(SavedRunCase):
    """SessionUploader as the runner calls it after each test."""

    def session(self, result):
        return types.SimpleNamespace(result=result)

    def uploader(self, **env):
        environ = {**self.env(), **env}
        return SessionUploader(load_settings(environ=environ))

    def test_uploads_each_test_then_records_the_end(self):
        live = make_saved_run(seed=21, finished=False)
        self.addCleanup(remove, live)
        session = self.session(live.result)
        hook = self.uploader()
        hook(session, "daist.test_target.Test.test_version")     # nothing to upload
        self.assertFalse(hook.uploaded)
        self.assertIsNone(hook.finish(session))                  # no closing line, no update
        hook(session, RO_TEST)
        hook(session, METRICS_TEST)
        self.assertTrue(hook.uploaded)
        live.result.end_time = Timestamp(live.result.start_time.unix + 9)
        live.result.outcome.status = "passed"
        note = hook.finish(session)
        self.assertRegex(note, r"^Uploaded 2 tests \(\d+ rows\) to the perf-results database ")
        self.assertEqual(self.sql("SELECT test_id FROM daist_tests ORDER BY test_id"),
                         [(METRICS_TEST,), (RO_TEST,)])
        self.assertEqual(self.sql("SELECT end_time, status FROM daist_runs"),
                         [(live.result.end_time.datetime, "passed")])

    def test_wrong_password_raises_one_line_naming_the_way_out(self):
        hook = self.uploader(PERF_RESULT_DB_PASS="wrong")
        with self.assertRaises(UploadError) as caught:
            hook(self.session(self.run.result), RO_TEST)
        message = str(caught.exception)
        self.assertNotIn("\n", message)
        self.assertIn("results of TestRO.test not uploaded: ", message)
        self.assertIn("wrong password (from PERF_RESULT_DB_PASS)", message)
        self.assertIn(f"python -m daist.db upload {self.run.directory}", message)

    def test_pgpassword_is_the_fallback(self):
        with mock.patch.dict(os.environ, {"PGPASSWORD": self.target.password.reveal()}):
            hook = SessionUploader(load_settings(environ=self.env(PERF_RESULT_DB_PASS="")))
        self.assertEqual(hook.target.password_source, "PGPASSWORD")
        hook(self.session(self.run.result), RO_TEST)
        self.assertEqual(self.counts()["daist_loads"], 1)
