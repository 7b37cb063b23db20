"""``python -m daist.db`` as users run it: migrate, upload, history; one-line errors and the
exit statuses (2 usage or settings, 1 database)."""
from __future__ import annotations

import re
import unittest

from daist.db.cli import build_parser
from daist.db.upload import upload_result
from uts.db.support import SavedRunCase, daist_db, make_saved_run, remove, reopen, tree_digest


class TestParser(unittest.TestCase):
    def test_commands_and_options(self):
        parser = build_parser()
        args = parser.parse_args(["history", "get experiments", "--last", "3", "--system", "standin"])
        self.assertEqual((args.command, args.test_name, args.last, args.system),
                         ("history", "get experiments", 3, "standin"))
        self.assertEqual(parser.parse_args(["upload", "a", "b"]).result_dirs[1].name, "b")

    def test_usage_and_settings_errors_exit_2_without_a_database(self):
        for args, env, pattern in (
                ((), {}, r"the following arguments are required: COMMAND"),
                (("history", "x", "--last", "0"), {}, r"expected a positive integer"),
                (("migrate",), {}, r"^daist: error: PERF_RESULT_DB_HOST is not set: "),
                (("migrate",), {"PERF_RESULT_DB_HOST": "127.0.0.1", "PERF_RESULT_DB_PORT": "x"},
                 r"^daist: error: environment variable PERF_RESULT_DB_PORT: bad value 'x'"),
                (("upload", "/nonexistent/dir"), {"PERF_RESULT_DB_HOST": "127.0.0.1"},
                 r"^daist: error: /nonexistent/dir does not exist$")):
            with self.subTest(args=args, env=env):
                done = daist_db(*args, env=env)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertRegex(done.stderr, re.compile(pattern, re.MULTILINE))
                self.assertNotIn("Traceback", done.stderr)


class TestCommands(SavedRunCase):
    def test_migrate_upload_twice_and_history(self):
        done = daist_db("migrate", env=self.env())
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, r"daist schema version \d+; applied: 1 \(historical\), 2 \(daist\)")
        done = daist_db("migrate", env=self.env())
        self.assertIn("applied: nothing to do", done.stdout)

        done = daist_db("upload", str(self.run.directory), env=self.env())
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("3 tests, 3 artifacts uploaded", done.stdout)
        counts = self.counts()
        done = daist_db("upload", str(self.run.result.manifest_path), env=self.env())
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("0 artifacts uploaded (0 rows), 3 already there", done.stdout)
        self.assertEqual(self.counts(), counts)

        done = daist_db("history", "get experiments", env=self.env())
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        self.assertEqual(lines[0], "get experiments: p95 and RPS over the last 1 run(s), oldest first")
        ((time, p95, p99, rps),) = self.sql(
            "SELECT r.time, t.p95, e.p99_ms, e.rps FROM perf_tests t JOIN perf_test_runs r ON "
            "r.id = t.run_id JOIN daist_endpoints e ON e.perf_test_id = t.id "
            "WHERE t.test_name = 'get experiments'")
        row = lines[3].split()
        self.assertEqual(row[:6], [time.strftime("%Y-%m-%dT%H:%M:%SZ"), "1a2b3c4d5e6f", "main",
                                   "standin", "120", "3"])
        self.assertEqual([float(v) for v in row[6:9]], [round(p95, 3), round(p99, 3), round(rps, 3)])
        self.assertTrue(lines[-1].startswith("trend: p95 "))

    def test_history_trend_over_runs_and_filters(self):
        env = self.env()
        runs = [make_saved_run(seed=s, start=1722278982.25 + 3600 * s) for s in (1, 2, 3)]
        for run in runs:
            self.addCleanup(remove, run)
            upload_result(self.target, reopen(run))
        p95s = [r.stats.entry("get experiments").hdr.p95_ms for r in runs]
        done = daist_db("history", "get experiments", "--last", "2", env=env)
        self.assertEqual(done.returncode, 0, done.stderr)
        body = done.stdout.splitlines()[3:-1]
        self.assertEqual([float(line.split()[6]) for line in body], p95s[1:])   # newest 2, oldest first
        change = (p95s[2] - p95s[1]) / p95s[1] * 100
        self.assertEqual(body[1].split()[7], f"{change:+.1f}%")
        self.assertIn(f"p95 {p95s[1]:.3f} ms -> {p95s[2]:.3f} ms", done.stdout.splitlines()[-1])

        done = daist_db("history", "get experiments", "--system", "cluster1", env=env)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr.strip(), "daist: error: no results for test name "
                                              "'get experiments' on system 'cluster1' (it has "
                                              "results on: standin; '-' is rows daist did not "
                                              "write)")
        done = daist_db("history", "get experimnts", env=env)
        self.assertEqual(done.returncode, 1)
        self.assertIn("(did you mean 'get experiments'", done.stderr)

    def test_database_errors_exit_1_and_keep_the_directory(self):
        before = tree_digest(self.run.directory)
        done = daist_db("upload", str(self.run.directory),
                        env=self.env(PERF_RESULT_DB_PASS="wrong"))
        self.assertEqual(done.returncode, 1)
        self.assertRegex(done.stderr, r"^daist: error: the perf-results database .* refused user "
                                      r"'\w+': wrong password \(from PERF_RESULT_DB_PASS\)\n$")
        self.assertEqual(done.stdout, "")
        self.assertEqual(tree_digest(self.run.directory), before)
        done = daist_db("history", "x", env=self.env(PERF_RESULT_DB_PASS="", PGPASSWORD=""))
        self.assertEqual(done.returncode, 1)
        self.assertIn("wants a password for user", done.stderr)

    def test_history_before_migrate_says_what_to_do(self):
        done = daist_db("history", "get experiments", env=self.env())
        self.assertEqual(done.returncode, 1)
        self.assertRegex(done.stderr, r"daist schema version 0, this daist reads \d+: run "
                                      r"python -m daist\.db migrate first\n$")

    def test_not_a_results_directory(self):
        empty = self.run.directory / "empty"
        empty.mkdir()
        done = daist_db("upload", str(empty), env=self.env())
        self.assertEqual(done.returncode, 2)
        self.assertIn("is not a results directory: no Result-*.json manifests", done.stderr)
        self.run.result.manifest_path.write_text("{\"classname\": \"Result\", \"schema_version\": 99}")
        done = daist_db("upload", str(self.run.directory), env=self.env())
        self.assertEqual(done.returncode, 1)
        self.assertRegex(done.stderr, r"^daist: error: cannot read the manifest .*Result-standin-"
                                      r".*schema_version 99 not supported")
