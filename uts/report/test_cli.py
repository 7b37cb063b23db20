import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from daist.framework import paths
from daist.models.base import open_artifact
from daist.models.report import Report
from daist.models.result import Result
from daist.report.cli import build_parser, percentage
from daist.report.hook import point_latest
from daist.models.timestamp import Timestamp
from uts.report.factories import (LOAD_TEST, START, artifact_path, make_run_dir, run_pair,
                                  run_sides, settings)

ENDPOINTS = ["get agents", "get experiments", "get templates", "get webhooks"]


def report_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "daist.report", *map(str, args)],
                          capture_output=True, text=True, cwd=paths.ROOT, timeout=120)


class TestUsage(unittest.TestCase):
    def assert_usage_error(self, done, pattern):
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertEqual(done.stdout, "")
        self.assertRegex(done.stderr, rf"^daist: error: {pattern}\n$")

    def test_errors_are_one_line(self):
        self.assert_usage_error(report_cli(), "the following arguments are required: COMMAND")
        self.assert_usage_error(report_cli("compare", "a"),
                                "compare needs a candidate: CANDIDATE_DIR or --candidate DIR")
        self.assert_usage_error(report_cli("compare", "a", "b", "--min-change", "1x"),
                                r"argument --min-change: '1x' is not a percentage \(e\.g\. 10%\)")
        self.assert_usage_error(report_cli("compare", "a", "b", "--alpha", "2"),
                                "alpha must be between 0 and 1, not 2.0")
        self.assert_usage_error(report_cli("summary", "/nonexistent/run"),
                                "/nonexistent/run: no such results directory")

    def test_help_and_options(self):
        done = report_cli("compare", "--help")
        self.assertEqual(done.returncode, 0)
        for option in ("--min-change", "--noise-floor-ms", "--alpha", "--fail-floor", "--allow-different", "--html"):
            self.assertIn(option, done.stdout)
        args = build_parser().parse_args(["compare", "a", "b", "--min-change", "25%", "--fail-floor", "2"])
        self.assertEqual((args.min_change, args.fail_floor, args.noise_floor_ms, args.alpha),
                         (0.25, 0.02, 5.0, 0.05))
        self.assertEqual(percentage("10"), percentage("10%"))


class TestCommands(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base, cls.slow = run_pair(ENDPOINTS, slow={"get templates": 1.3})
        _, cls.clean = run_pair(ENDPOINTS, seed=1)
        _, cls.other_load = run_pair(ENDPOINTS, seed=2, candidate_users=8)
        cls.out = Path(tempfile.mkdtemp(prefix="daist-report-cli-"))

    @classmethod
    def tearDownClass(cls):
        for directory in (cls.base, cls.slow, cls.clean, cls.other_load):
            shutil.rmtree(directory.parents[1], ignore_errors=True)
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_summary_is_read_only_unless_told_where_to_write(self):
        before = sorted((p.name, p.stat().st_mtime_ns) for p in self.base.iterdir())
        done = report_cli("summary", self.base)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr, "")
        lines = done.stdout.splitlines()
        self.assertTrue(lines[0].startswith("daist run passed"))
        self.assertNotIn("Report:", done.stdout)
        self.assertEqual(sorted((p.name, p.stat().st_mtime_ns) for p in self.base.iterdir()), before)
        elsewhere = self.out / "new" / "summary.html"
        written = report_cli("summary", self.base, "--html", elsewhere)
        self.assertEqual(written.stdout.splitlines()[-1], f"Report: {elsewhere}")
        self.assertIsInstance(Report.open(elsewhere), Report)
        self.assertEqual(sorted((p.name, p.stat().st_mtime_ns) for p in self.base.iterdir()), before)

    def test_compare_flags_the_slowed_endpoint_and_exits_1(self):
        page = self.out / "compare.html"
        done = report_cli("compare", self.base, self.slow, "--html", page)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("FAILED: 1 regression: TestRO.test: GET get templates (p50, p95)", done.stdout)
        self.assertRegex(done.stdout, r"\n  TestRO.test: GET get templates p50 [\d.]+ ms -> [\d.]+ ms, "
                                      r"1\.[23]\dx slower \[blocks 10 vs 10, noise ±[\d.]+%, p ")
        self.assertIn("\nUnchanged: 3 endpoints, 1 test totals (judged by blocks 10 vs 10)\n",
                      done.stdout)
        self.assertEqual(done.stdout.splitlines()[-1], f"Comparison: {page}")
        html = page.read_text()
        self.assertIn("get templates", html)
        self.assertIn('class="status regression"', html)

    def test_several_runs_per_side_and_results_roots(self):
        roots = self.out / "roots-base", self.out / "roots-cand"
        base, cand = run_sides(ENDPOINTS, runs=(3, 2), added_ms={"get agents": 40.0}, n=300,
                               roots=roots)
        done = report_cli("compare", "--baseline", base[0], "--baseline", base[1], "--baseline",
                          base[2], "--candidate", cand[0], "--candidate", cand[1])
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("FAILED: 1 regression: TestRO.test: GET get agents (p50", done.stdout)
        self.assertIn("[blocks 30 vs 20, noise", done.stdout)   # 2 runs tell no spread between runs
        self.assertIn(f"Baseline:  3 runs: {base[0]} (standin", done.stdout)
        for side in (base, cand):   # the end-of-run hook's `latest` link: each run counts once
            point_latest(side[-1])
        rooted = report_cli("compare", roots[0], roots[1])     # every run below each root
        self.assertEqual(rooted.returncode, 1, rooted.stdout + rooted.stderr)
        self.assertIn("[blocks 30 vs 20, noise", rooted.stdout)
        same = report_cli("compare", roots[0], "--candidate", base[0], "--runs-needed", "25%")
        self.assertEqual(same.returncode, 0, same.stdout + same.stderr)
        self.assertRegex(same.stdout, r"\nRuns per side to catch a 25% change of p50 \(80% power, "
                                      r"alpha 0\.05; noise between runs measured here\):\n  "
                                      r"TestRO\.test: list \d+ \(noise ±\d+%\)\n$")

    def test_compare_without_a_change_exits_0(self):
        done = report_cli("compare", self.base, self.clean)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(done.stdout.splitlines()[-1], "No regression.")

    def test_thresholds_from_the_command_line(self):
        done = report_cli("compare", self.base, self.slow, "--min-change", "50%")
        self.assertEqual(done.returncode, 0, done.stdout)
        done = report_cli("compare", self.base, self.slow, "--noise-floor-ms", "100")
        self.assertEqual(done.returncode, 0, done.stdout)

    def test_incomparable_runs_are_refused_unless_forced(self):
        done = report_cli("compare", self.base, self.other_load)
        self.assertEqual(done.returncode, 2)
        self.assertEqual(done.stdout, "")
        self.assertEqual(done.stderr, "daist: error: the runs are not comparable: TestRO.test: load "
                                      "users differs: 4 vs 8 (--allow-different compares them anyway)\n")
        for option in ("--allow-different", "--force"):   # --force: the older name
            forced = report_cli("compare", self.base, self.other_load, option)
            self.assertIn(forced.returncode, (0, 1))
            self.assertIn("NOT COMPARABLE: TestRO.test: load users differs: 4 vs 8", forced.stdout)
            self.assertIn("\n  Differs: [locust] users: '4' vs '8'\n", forced.stdout)

    def test_runs_of_different_tests_are_refused_in_one_line(self):
        other = make_run_dir(self.out / "other-test", locust={
            "daist.rest_api.test_locust.TestRW.test": open_artifact(artifact_path(self.clean, "LocustStatsList"))})
        done = report_cli("compare", self.base, other)
        self.assertEqual((done.returncode, done.stdout), (2, ""), done.stderr)
        self.assertEqual(done.stderr, "daist: error: the runs are not comparable: the runs ran "
                                      "different tests: TestRO.test only in the baseline; "
                                      "TestRW.test only in the candidate (--allow-different "
                                      "compares them anyway)\n")
        allowed = report_cli("compare", self.base, other, "--allow-different")
        self.assertEqual(allowed.returncode, 1, allowed.stdout)  # the baseline's test is missing
        self.assertIn("TestRO.test: load test missing in the candidate", allowed.stdout)

    def test_faults_of_a_run_are_shown_in_the_comparison(self):
        faulty = make_run_dir(self.out / "faulty", locust={LOAD_TEST: open_artifact(
            artifact_path(self.clean, "LocustStatsList"))}, metadata={"standin_faults": [
                {"path": "^/api/v1/agents$", "error_rate": 1, "status": 503, "sequence": "x."}]})
        page = self.out / "faulty.html"
        done = report_cli("compare", self.base, faulty, "--html", page)
        line = (f"  Differs: candidate run {faulty.name}: faults were injected into the stand-in "
                "(1 rule): ^/api/v1/agents$: 503 errors at rate 1 (sequence x.)\n")
        self.assertIn(line, done.stdout)
        self.assertIn("faults were injected into the stand-in (1 rule)", page.read_text())
        self.assertLess(page.read_text().index("faults were injected"),
                        page.read_text().index("<h2>"))   # at the top, above the tables

    def test_a_results_root_stands_for_its_runs_of_the_same_test_and_settings(self):
        root = self.out / "mixed-root"
        base, cand = run_sides(ENDPOINTS, runs=(2, 2), added_ms={"get agents": 40.0}, n=300,
                               roots=(root, self.out / "mixed-cand"))
        stats = open_artifact(artifact_path(base[0], "LocustStatsList"))
        later = Timestamp(START.unix + 3600)
        other_test = make_run_dir(root, start=later, locust={
            "daist.rest_api.test_locust.TestRW.test": stats})
        other_users = make_run_dir(root, start=Timestamp(later.unix + 60), locust={LOAD_TEST: stats},
                                   config=settings(locust__users="8"))
        done = report_cli("compare", root, self.out / "mixed-cand")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("[blocks 20 vs 20", done.stdout)
        self.assertEqual(done.stderr.splitlines(), [
            f"daist: note: left out baseline {other_test}: ran TestRW.test, not TestRO.test",
            f"daist: note: left out baseline {other_users}: other settings: [locust] users: "
            f"'4' vs '8'"])

    def test_a_truncated_artifact_is_named_and_skipped(self):
        """Reliability case 11: the file is named, the rest is still reported and compared."""
        candidate = Path(shutil.copytree(self.slow, self.out / "truncated" / self.slow.name))
        stats = artifact_path(candidate, "LocustStatsList")
        stats.write_bytes(stats.read_bytes()[:1000])
        extra = Path(shutil.copytree(self.base, self.out / "extra" / self.base.name))
        (manifest,) = extra.glob("Result-*.json")
        manifest.write_bytes(manifest.read_bytes()[:-30])
        for args in (("summary", candidate, "--no-html"), ("compare", self.base, candidate),
                     ("compare", extra, self.slow)):
            done = report_cli(*args)
            self.assertNotIn("Traceback", done.stderr, args)
            self.assertNotIn("internal error", done.stderr, args)
        summary = report_cli("summary", candidate, "--no-html")
        self.assertEqual(summary.returncode, 0)
        self.assertRegex(summary.stderr, rf"daist: warning: .*: skipped {stats.name}: malformed LocustStatsList")
        self.assertIn(f"Skipped files (unreadable):\n  {stats.name}: malformed", summary.stdout)
        compare = report_cli("compare", self.base, candidate)
        self.assertEqual(compare.returncode, 1, compare.stdout)  # fails closed, naming the file
        self.assertRegex(compare.stderr, rf"^daist: error: the comparison fails: 2 missing or "
                                         rf"unreadable: candidate .*: unreadable {stats.name}: "
                                         rf"malformed LocustStatsList.*; TestRO.test: load test "
                                         rf"missing in the candidate .*\n$")
        rebuilt = report_cli("compare", extra, self.slow)   # the manifest rebuilt from file names
        self.assertEqual(rebuilt.returncode, 1, rebuilt.stdout + rebuilt.stderr)
        self.assertRegex(rebuilt.stdout, rf"FAILED: 1 regression: TestRO.test: GET get templates "
                                         rf".* \| 1 missing or unreadable: baseline .*: unreadable "
                                         rf"{manifest.name}: malformed Result")
