"""The Markdown summaries for CI job pages, on saved runs built by the factories, written the way
CI writes them (``--summary-md FILE`` appends)."""
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from daist.framework import paths
from daist.report.markdown import cell, table
from uts.harness import remove_results, run_daist
from uts.report.factories import LOAD_TEST, make_entry, make_run_dir, make_stats, run_sides, settings

ENDPOINTS = [f"get thing {i:02d}" for i in range(4)]


def report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "daist.report", *args], capture_output=True,
                          text=True, cwd=paths.ROOT, timeout=120)


class TestCells(unittest.TestCase):
    def test_a_cell_stays_in_its_column(self):
        self.assertEqual(cell("a | b\nc"), "a \\| b c")
        self.assertEqual(table(["x", "y"], [[1, "p|q"]]), ["| x | y |", "|---|---|", "| 1 | p\\|q |"])


class TestSummaryMarkdown(unittest.TestCase):
    def setUp(self):
        self.root = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)

    def test_limits_with_marks_and_the_report_path(self):
        slow = make_entry("get thing 00", [1500.0] * 50)
        fast = make_entry("get thing 01", [10.0] * 50)
        run = make_run_dir(self.root, locust={LOAD_TEST: make_stats(slow, fast)},
                           config=settings(locust__p95_ms="1000"), status="failed")
        out = self.root / "summary.md"
        out.write_text("earlier step\n")
        done = report("summary", str(run), "--summary-md", str(out))
        self.assertEqual(done.returncode, 0, done.stderr)
        text = out.read_text()
        self.assertTrue(text.startswith("earlier step\n### ✗ daist run failed: "), text[:200])
        self.assertRegex(text, r"\| ✗ \| class list \| p95 \| 1,500 ms \| 1,000 ms \| -50% \| "
                               r"get thing 00 \|")
        self.assertRegex(text, r"\| ✓ \| all requests \| fail \| 0\.0% \|")
        self.assertIn("Report: not written", text)  # summary never writes into the run
        with_html = report("summary", str(run), "--summary-md", str(out), "--html",
                           str(self.root / "page.html"))
        self.assertEqual(with_html.returncode, 0, with_html.stderr)
        self.assertIn(f"Report: `{self.root / 'page.html'}`", out.read_text())


class TestRunMarkdown(unittest.TestCase):
    def test_a_run_appends_its_summary_on_every_ending(self):
        out = Path(tempfile.mkdtemp()) / "summary.md"
        self.addCleanup(shutil.rmtree, out.parent, ignore_errors=True)
        passed = run_daist("--summary-md", str(out), "daist.test_target")
        self.addCleanup(remove_results, passed)
        self.assertEqual(passed.returncode, 0, passed.stdout + passed.stderr)
        text = out.read_text()
        self.assertTrue(text.startswith("### ✓ daist run passed: 1 tests run"), text[:200])
        self.assertIn("| ✓ | TestTarget.test_master_answers | passed |", text)
        self.assertIn(f"Report: `{passed.results_dir}/Report-standin-", text)
        refused = run_daist("--summary-md", str(out), "-H", "http://127.0.0.1:1",
                            "daist.test_target")
        self.addCleanup(remove_results, refused)
        self.assertEqual(refused.returncode, 3)
        later = out.read_text()[len(text):]
        self.assertTrue(later.startswith("### ✗ daist run error: 0 tests run"), later[:200])
        self.assertIn("**Error:** cannot reach the master at http://127.0.0.1:1", later)


class TestCompareMarkdown(unittest.TestCase):
    def test_regressions_are_listed_and_the_verdict_leads(self):
        (b1, b2, b3), (c1, c2, c3) = run_sides(ENDPOINTS, runs=(3, 3),
                                               added_ms={"get thing 02": 40.0})
        self.addCleanup(lambda: [shutil.rmtree(d.parent.parent, ignore_errors=True)
                                 for d in (b1, b2, b3, c1, c2, c3)])
        out = Path(tempfile.mkdtemp()) / "summary.md"
        self.addCleanup(shutil.rmtree, out.parent, ignore_errors=True)
        args = ["compare", str(b1), str(c1), "--baseline", str(b2), "--baseline", str(b3),
                "--candidate", str(c2), "--candidate", str(c3), "--summary-md", str(out)]
        done = report(*args)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        text = out.read_text()
        self.assertTrue(text.startswith("### daist compare: ✗ regression\n"), text[:200])
        self.assertIn("3 baseline run(s) against 3 candidate run(s)", text)
        self.assertRegex(text, r"\| TestRO\.test: GET get thing 02 \| p50 \| [\d.]+ ms \| "
                               r"[\d.]+ ms \| 2\.\d\dx slower \| runs 3 vs 3 \|")
        same = report("compare", str(b1), str(b2), "--baseline", str(b3), "--candidate",
                      str(b3), "--summary-md", str(out))
        self.assertIn("### daist compare: ✓ no regression", out.read_text(), same.stdout)


if __name__ == "__main__":
    unittest.main()
