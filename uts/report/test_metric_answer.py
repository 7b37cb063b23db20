"""A metric sweep's report leads with the answer: write and visible p50/p95 against the level in
one chart with the limits drawn and the breaking level marked and said; then the table; the
per-level figures folded below it."""
import json
import html as html_module
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from daist.models.base import Figure
from daist.report.html import render_report
from daist.report.loader import load_run
from daist.models.limits import METRIC, saved_limits
from daist.report.metric_answer import answer, breaking_level, run_rules
from uts.report.factories import METRIC_TEST, latencies, make_op_hist, make_run_dir, settings
from uts.report.test_html import CHROMIUM, CHROMIUM_FLAGS

SLO = "write:p95=100; visible:p50@4=50"


def limits(config):
    """The limits of a run's saved settings, as the report reads a run saved without them."""
    return saved_limits(config, METRIC.key)


def growing_sweep():
    """write about 10, 20, 300 ms and visible about 20, 30, 40 ms at 1, 2, 4 trials."""
    return make_op_hist({level: {"write": latencies(write, 40, seed=level),
                                 "visible": latencies(visible, 40, seed=10 + level),
                                 "enqueue": latencies(1, 40, seed=20 + level)}
                         for level, write, visible in ((1, 10, 20), (2, 20, 30), (4, 300, 40))})


class TestAnswer(unittest.TestCase):
    def test_the_first_level_that_breaks_a_limit_is_marked_and_said(self):
        op_hist = growing_sweep()
        found = answer(op_hist, limits(settings(metrics__slo=SLO)), title="t")
        self.assertEqual(found.breaking_level, 4)
        self.assertRegex(found.sentence, r"^Breaks at concurrency 4: write p95 [\d,.]+ ms > "
                                         r"100 ms\.$")
        self.assertIsInstance(found.figure, Figure)

    def test_a_sweep_that_holds_says_up_to_where(self):
        found = answer(growing_sweep(), limits(settings(metrics__slo="write:p95=10000")),
                       title="t")
        self.assertIsNone(found.breaking_level)
        self.assertEqual(found.sentence, "Holds its limits at every concurrency measured (up to 4).")

    def test_a_level_bound_rule_applies_at_its_level_only(self):
        rules, note = run_rules(limits(settings(metrics__slo="visible:p50@2=1")), growing_sweep())
        self.assertEqual(note, "")
        level, reasons = breaking_level(growing_sweep(), rules)
        self.assertEqual(level, 2)
        self.assertEqual(len(reasons), 1)

    def test_without_limits_the_chart_is_still_drawn(self):
        found = answer(growing_sweep(), limits(settings()), title="t")
        self.assertIsNone(found.breaking_level)
        self.assertIn("no latency limits set ([metrics] slo)", found.sentence)
        self.assertIsInstance(found.figure, Figure)


class TestReportOrder(unittest.TestCase):
    def setUp(self):
        self.dir = make_run_dir(metrics={METRIC_TEST: growing_sweep()},
                                config=settings(metrics__slo=SLO))
        self.addCleanup(shutil.rmtree, self.dir.parents[1], ignore_errors=True)
        self.html = render_report(load_run(self.dir))

    def test_answer_then_chart_then_table_then_folded_figures(self):
        section = self.html.split("<h2>Metric latency Test.test</h2>", 1)[1]
        order = [section.index('<p class="answer breaks">Breaks at concurrency 4: write p95'),
                 section.index('alt="Write and visible p50/p95 by concurrency"'),
                 section.index('<table class="data sortable metric-latency">'),
                 section.index('<details class="levels">'),
                 section.index('alt="Latency by operation and level"')]
        self.assertEqual(order, sorted(order))
        self.assertNotRegex(section, r"<details[^>]* open")

    @unittest.skipUnless(CHROMIUM, "needs Chromium (apt-get install -y chromium)")
    def test_a_browser_shows_the_chart_and_folds_the_histograms(self):
        measure = """<script>
(function () {
  var chart = document.querySelector('img[alt^="Write and visible"]');
  var table = document.querySelector("table.metric-latency");
  var details = document.querySelector("details.levels");
  document.title = JSON.stringify({chart: chart.getBoundingClientRect().height,
    chartTop: chart.getBoundingClientRect().top, tableTop: table.getBoundingClientRect().top,
    folded: details.getBoundingClientRect().height,
    summary: details.querySelector("summary").getBoundingClientRect().height, open: details.open});
})();
</script>"""
        work = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        page = work / "report.html"
        page.write_text(self.html.replace("</body>", measure + "</body>"), encoding="utf-8")
        done = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'profile'}",
                               "--window-size=1280,900", "--dump-dom", page.as_uri()],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        layout = json.loads(html_module.unescape(re.search(r"<title>(\{.*?\})</title>",
                                                           done.stdout)[1]))
        self.assertGreater(layout["chart"], 100)
        self.assertLess(layout["chartTop"], layout["tableTop"])
        self.assertFalse(layout["open"])
        self.assertEqual(layout["folded"], layout["summary"])  # only its summary line shows


if __name__ == "__main__":
    unittest.main()


class TestInvalidLevels(unittest.TestCase):
    """A level measured at the generator's limit is said, in the answer, the page and the
    summary, and never judged or drawn as the target's latency."""

    def setUp(self):
        self.op_hist = growing_sweep()
        self.op_hist.invalid_levels[8] = "generator CPU 97% > 80%"

    def test_the_answer_says_which_levels_were_not_judged(self):
        found = answer(self.op_hist, limits(settings(metrics__slo="write:p95=10000")), title="t")
        self.assertEqual(found.sentence, "Holds its limits at every concurrency measured (up to 4)."
                                         " Not judged, the generator was over its limit: concurrency 8.")

    def test_the_page_and_the_summary_name_the_level_and_why(self):
        from daist.report.summary import summary_text

        run_dir = make_run_dir(metrics={METRIC_TEST: self.op_hist}, config=settings(metrics__slo=SLO))
        self.addCleanup(shutil.rmtree, run_dir.parents[1], ignore_errors=True)
        run = load_run(run_dir)
        line = "concurrency 8: INVALID, not shown"
        page = render_report(run)
        self.assertIn(f'<p class="warning invalid-level">{line}', page)
        self.assertIn("generator CPU 97% &gt; 80%</p>", page)
        self.assertIn(f"  {line}: generator CPU 97% > 80%", summary_text(run).splitlines())
