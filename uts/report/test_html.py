import base64
import re
import shutil
import tempfile
import unittest
from html.parser import HTMLParser
from pathlib import Path

from daist.models.base import PNG_SIGNATURE, open_artifact
from daist.models.locust import StepPoint
from daist.models.report import Report
from daist.models.result import Result, TestRecord
from daist.report.html import render_report, write_report
from daist.report.loader import load_run
from uts.report.factories import (LOAD_TEST, METRIC_TEST, latencies, make_entry, make_op_hist,
                                  make_run_dir, make_stats)

NASTY = 'get "trial" <b>bold</b> & \'more\''
SCRIPT = "</script><script>alert(1)</script>"


class PageText(HTMLParser):
    """The visible text, the tables' ids/classes and every resource reference of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tables: list[dict] = []
        self.references: list[str] = []
        self.scripts = 0
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
            self.scripts += tag == "script"
        if tag == "table":
            self.tables.append(attrs)
        for name in ("src", "href"):
            if name in attrs:
                self.references.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def sample_run(*, saturated=False, steps=None):
    stats = make_stats(make_entry("get experiments", latencies(12, 60, seed=1)),
                       make_entry(NASTY, latencies(30, 60, seed=2), failures=4, message=SCRIPT),
                       saturated=saturated, steps=steps)
    op_hist = make_op_hist({1: {"write": latencies(5, 16, seed=3)}, 2: {"write": latencies(6, 16, seed=4)}})
    tests = {LOAD_TEST: TestRecord("failed", 20.0, f"{NASTY}: p95 too high"),
             METRIC_TEST: TestRecord("passed", 9.0)}
    return make_run_dir(locust={LOAD_TEST: stats}, metrics={METRIC_TEST: op_hist}, tests=tests)


class TestReportPage(unittest.TestCase):
    def test_content_is_escaped_and_visible(self):
        html = render_report(load_run(sample_run()))
        page = PageText(html)
        self.assertNotIn("<b>bold</b>", html)
        self.assertNotIn(SCRIPT, html)
        self.assertEqual(page.scripts, 1)                       # only our own sorting script
        self.assertIn(NASTY, page.visible)                      # shown exactly as named
        self.assertIn(f"{NASTY}: p95 too high", page.visible)
        self.assertIn(SCRIPT, page.visible)                     # the failure message, as text
        self.assertIn("get experiments", page.visible)
        self.assertIn("failed TestRO.test 20.0", page.visible)
        self.assertIn("/api/v1/x", page.visible)

    def test_self_contained_with_embedded_plots_and_sortable_tables(self):
        steps = [StepPoint(users=1, rps=90, p95_ms=4), StepPoint(users=2, rps=170, p95_ms=5, knee=True)]
        html = render_report(load_run(sample_run(steps=steps)))
        page = PageText(html)
        self.assertNotRegex(html, r"<link\b")
        self.assertTrue(page.references)
        for reference in page.references:
            self.assertTrue(reference.startswith("data:image/png;base64,"), reference[:60])
            self.assertTrue(base64.b64decode(reference.split(",", 1)[1]).startswith(PNG_SIGNATURE))
        # latency per endpoint and the sweep curve are drawn from the data, the metric
        # percentiles too (this run saved no PNGs)
        self.assertEqual(len(page.references), 3)
        self.assertIn("Latency per endpoint", page.visible)
        self.assertIn("Scaling curve", page.visible)
        self.assertIn("write percentiles", page.visible)
        sortable = [t for t in page.tables if "sortable" in t.get("class", "")]
        self.assertEqual([t.get("id") for t in sortable if t.get("id")], ["tests", "endpoints-1"])
        self.assertIn("table.sortable", html)                  # the inline script sorts them
        self.assertIn("addEventListener", html)

    def test_saturation_warning(self):
        self.assertNotIn("Generator saturated", PageText(render_report(load_run(sample_run()))).visible)
        page = PageText(render_report(load_run(sample_run(saturated=True))))
        self.assertIn("Generator saturated: the load generator was saturated (local 95% CPU)",
                      page.visible)

    def test_skipped_files_are_listed(self):
        directory = sample_run()
        (op_hist,) = directory.glob("MetricLatencyOpHist-*.json")
        op_hist.write_text("{")
        page = PageText(render_report(load_run(directory)))
        self.assertIn(f"{op_hist.name}: ", page.visible)
        self.assertIn("1 file(s) could not be read", page.visible)


class TestWriteReport(unittest.TestCase):
    def setUp(self):
        self.dir = sample_run()
        self.addCleanup(shutil.rmtree, self.dir.parents[1])

    def test_written_into_the_directory_recorded_and_opens_by_classname(self):
        first = write_report(load_run(self.dir))
        second = write_report(load_run(self.dir))
        self.assertNotEqual(first, second)
        for path in (first, second):
            self.assertRegex(path.name, r"^Report-standin-(2-)?[0-9TZ-]+\.html$")
            self.assertIsInstance(open_artifact(path), Report)
        (manifest,) = self.dir.glob("Result-*.json")
        self.assertEqual(set(Result.open(manifest).files_of("Report")), {first, second})
        self.assertEqual(load_run(self.dir).skipped, [])      # a report never reads reports

    def test_explicit_path_and_unreadable_manifest(self):
        target = Path(tempfile.mkdtemp()) / "page.html"
        self.assertEqual(write_report(load_run(self.dir), path=target), target)
        self.assertIn("get experiments", target.read_text())
        (manifest,) = self.dir.glob("Result-*.json")
        manifest.write_text("{not json")
        path = write_report(load_run(self.dir))
        self.assertTrue(path.is_file())
        self.assertEqual(list(self.dir.glob("Result-*.json")), [manifest])  # no second manifest
        self.assertEqual(manifest.read_text(), "{not json")
        self.assertRegex(re.sub(r"\s+", " ", path.read_text()), r"Result-standin-[^ ]+\.json: ")
