"""Issue 24, holes 7 and 8: labels built from data are plain text to matplotlib. An endpoint
named ``$\\undefinedmacro{$`` made mathtext fail the figure: ``report summary --html`` said
"internal error" and ``daist.db changes --html`` printed a traceback. Every figure goes through
``Figure.from_matplotlib``, which draws such names as the characters they hold."""
from __future__ import annotations

import shutil
import tempfile
import unittest
from pathlib import Path

from daist.models.base import Figure
from uts.reliability.test_malformed_artifacts import report_cli
from uts.report.factories import LOAD_TEST, latencies, make_entry, make_run_dir, make_stats
from uts.security.test_terminal_escapes import HistoryCase

MATH = r"$\undefinedmacro{$"
"""Two dollars: mathtext, with a macro it does not know."""


class TestFigures(unittest.TestCase):
    def test_names_in_every_kind_of_label_draw_and_numbers_keep_their_form(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as MplFigure

        figure = MplFigure()
        FigureCanvasAgg(figure)
        bars, names = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
        bars.barh([0, 1], [1, 1000], label=MATH)
        bars.set_yticks([0, 1], [MATH, "b"])
        bars.set_xscale("log")  # its tick labels are matplotlib's own mathtext: kept
        bars.set_title(MATH)
        bars.set_xlabel(MATH)
        bars.legend()
        bars.annotate(MATH, (1, 0))
        names.bar([MATH, "$x$"], [1, 2])  # categories: tick labels made while drawing
        self.assertTrue(Figure.from_matplotlib(figure).png)
        self.assertEqual([t.get_text() for t in bars.yaxis.get_ticklabels()], [r"\$\undefinedmacro{\$", "b"])
        self.assertTrue(all(t.get_text().startswith("$\\mathdefault{10^")
                            for t in bars.xaxis.get_ticklabels() if t.get_text()))


class TestReportHtml(unittest.TestCase):
    def test_summary_html_draws_a_mathtext_name(self) -> None:
        root = Path(tempfile.mkdtemp(prefix="uts-mathtext-"))
        self.addCleanup(shutil.rmtree, root)
        stats = make_stats(make_entry(MATH, latencies(40.0, 200, seed=1)),
                           make_entry("get trial", latencies(30.0, 200, seed=2)))
        directory = make_run_dir(root, locust={LOAD_TEST: stats})
        page = root / "report.html"
        done = report_cli("summary", directory, "--html", page)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotIn("error", done.stderr)
        self.assertIn("data:image/png;base64,", page.read_text())


class TestChangesHtml(HistoryCase):
    NAME = MATH

    def test_db_changes_html_draws_a_mathtext_name(self) -> None:
        page = self.work / "changes.html"
        status, out, err = self.changes("--html", str(page))
        self.assertEqual(status, 0, err)
        self.assertNotIn("Traceback", out + err)
        self.assertEqual(page.read_text().count("data:image/png;base64,"), 1)


if __name__ == "__main__":
    unittest.main()
