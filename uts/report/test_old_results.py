"""Results written before a change still open, summarise, compare and upload as before.

``fixtures/old_results`` holds two results directories written by daist at commit fd4a974
(main before issue 29): ``load`` from a 3 s ``TestRO`` run and ``metric`` from a small
``metrics.test_latency.Test`` run, both against the embedded stand-in, cut to a few KB (the
load run to its four busiest endpoints; logs, CSV, PNG and HTML files left out of the
manifest). ``golden.json`` is what that commit's own code made of them: the one-screen
summary, the HTML report's outline (headings, table columns, plot captions), each run compared
with itself, and the database rows ``db.rows`` builds. Today's code must make the same."""
from __future__ import annotations

import dataclasses
import json
import math
import shutil
import tempfile
import unittest
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from daist.db.rows import collect_test, uploadable_tests
from daist.models.timestamp import Timestamp
from daist.report.compare import compare_runs
from daist.report.html import render_report
from daist.report.loader import RunData, load_run
from daist.report.summary import summary_text

OLD_RESULTS = Path(__file__).with_name("fixtures") / "old_results"
GOLDEN = OLD_RESULTS / "golden.json"
RUNS = ("load", "metric")


class _Outline(HTMLParser):
    """The headings, table column names and figure captions of a page, in order."""

    KEPT = {"h1", "h2", "h3", "h4", "th", "figcaption"}

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self._open: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.KEPT:
            self._open.append(tag)
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[-1]:
            self._open.pop()
            self.lines.append(f"{tag}: {' '.join(''.join(self._text).split())}")

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)


def html_outline(page: str) -> list[str]:
    parser = _Outline()
    parser.feed(page)
    return parser.lines


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, Timestamp, Path)):
        return str(value)
    return value


def upload_rows(run: RunData) -> list[Any]:
    """Every test's batch of rows, as plain JSON values."""
    return [_plain(collect_test(run.result, test_id)) for test_id in uploadable_tests(run.result)]


def compared_figures(run: RunData) -> list[list[Any]]:
    """The run compared with itself: each figure's row, name, values and verdict."""
    comparison = compare_runs(run, run)
    return [[row.test, row.kind, row.name, r.metric, _told(r.base), _told(r.cand), r.regression]
            for row in comparison.rows for r in row.results] + [comparison.missing]


def _told(value: float) -> float | None:
    """NaN (too few samples to tell) as None: NaN equals nothing, not even itself."""
    return None if math.isnan(value) else value


def observe(directory: Path) -> dict[str, Any]:
    """What today's code makes of one old results directory (its path written as ``<dir>``)."""
    run = load_run(directory)
    place = str(run.directory)
    return {"skipped": run.skipped,
            "summary": summary_text(run).replace(place, "<dir>").splitlines(),
            "html": [line.replace(place, "<dir>") for line in html_outline(render_report(run))],
            "compare": compared_figures(load_run(directory, figures=False)),
            "rows": json.loads(json.dumps(upload_rows(run)).replace(place, "<dir>"))}


class TestOldResults(unittest.TestCase):
    """Each old directory is copied (the report code never writes into it, but a test must not
    risk the fixture) and read as a whole."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
        cls.scratch = Path(tempfile.mkdtemp(prefix="old-results-"))
        cls.observed = {}
        for name in RUNS:
            copy = shutil.copytree(OLD_RESULTS / name, cls.scratch / name)
            cls.observed[name] = observe(copy)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def check(self, part: str) -> None:
        for name in RUNS:
            with self.subTest(run=name):
                self.assertEqual(self.observed[name][part], self.golden[name][part])

    def test_every_file_is_read(self):
        self.check("skipped")
        for name in RUNS:
            self.assertEqual(self.observed[name]["skipped"], [])

    def test_summary(self):
        self.check("summary")

    def test_html_outline(self):
        self.check("html")
        self.assertIn("h2: Load test TestRO.test", self.observed["load"]["html"])
        self.assertIn("h2: Metric latency Test.test", self.observed["metric"]["html"])

    def test_compare_with_itself(self):
        self.check("compare")
        for name in RUNS:
            self.assertTrue(self.observed[name]["compare"][:-1], name)  # figures were compared

    def test_upload_rows(self):
        self.check("rows")
        load, = self.observed["load"]["rows"]
        self.assertEqual(len(load["loads"][0]["endpoints"]), 4)
        metric, = self.observed["metric"]["rows"]
        self.assertTrue(metric["metrics"][0]["rows"])


if __name__ == "__main__":
    unittest.main()
