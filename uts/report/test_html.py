import base64
import html as html_module
import json
import re
import shutil
import subprocess
import tempfile
import unittest
from html.parser import HTMLParser
from pathlib import Path

from daist.models.base import PNG_SIGNATURE, open_artifact
from daist.models.history import Interval, LocustStatsHistory, ScopeCounts
from daist.models.locust import StepPoint
from daist.models.report import Report
from daist.models.result import Result, TestRecord
from daist.report.html import render_report, write_report
from daist.report.loader import load_run
from uts.report.factories import (LOAD_TEST, METRIC_TEST, START, latencies, make_entry,
                                  make_op_hist, make_run_dir, make_stats, settings)

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
        self.assertIn('title="GET /api/v1/x"', html)              # the path is the tooltip

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
        # answer chart and percentiles too (this run saved no PNGs)
        self.assertEqual(len(page.references), 4)
        self.assertIn("Latency per endpoint", page.visible)
        self.assertIn("Scaling curve", page.visible)
        self.assertIn("Latency by operation and level", page.visible)  # one faceted figure
        self.assertRegex(page.visible, r"write 1 16 [\d.]+ [\d.]+ - - ")  # 16 samples tell no p95
        sortable = [t for t in page.tables if "sortable" in t.get("class", "")]
        self.assertEqual([t.get("id") for t in sortable if t.get("id")], ["tests", "endpoints-1"])
        self.assertIn("table.sortable", html)                  # the inline script sorts them
        self.assertIn("addEventListener", html)

    def test_no_percentile_from_too_few_samples(self):
        page = PageText(render_report(load_run(sample_run())))   # 60 samples per endpoint
        # p50, p90, p95 told; p99 (100 samples) and p99.9 (1,000) shown as "-"
        self.assertRegex(page.visible, r"[\d.]+ [\d.]+ [\d.]+ - - [\d.]+ 60 3\.00 0 0\.0% +list "
                                       r"GET get experiments")
        self.assertRegex(page.visible, r"GET get experiments : p95 [\d.]+ ms, p99 - ms")

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
        self.assertEqual(first, second)                        # the run's one report, rewritten
        self.assertEqual(first.name, f"Report-standin-{self.dir.name}.html")  # the run's stamp
        self.assertIsInstance(open_artifact(first), Report)
        (manifest,) = self.dir.glob("Result-*.json")
        self.assertEqual(Result.open(manifest).files_of("Report"), [first])
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


def sample_history(*, intervals: int = 20, interval_s: float = 2.0) -> LocustStatsHistory:
    """A run over time: users ramp for 3 intervals, then latency climbs in the last quarter."""
    rows = []
    for i in range(intervals):
        late = i >= intervals * 3 // 4
        scopes = {"all": ScopeCounts(requests=200 - 60 * late, failures=5 * late, p50_ms=10 + 40 * late,
                                      p95_ms=25 + 90 * late, p99_ms=40 + 150 * late),
                  "list": ScopeCounts(requests=120, p50_ms=12, p95_ms=30 + 80 * late, p99_ms=50),
                  "get": ScopeCounts(requests=80 - 60 * late, failures=5 * late, p50_ms=8,
                                      p95_ms=20 + 100 * late, p99_ms=35)}
        rows.append(Interval(t_s=i * interval_s, length_s=interval_s, users=min(4, i + 1),
                             in_window=200 if 4 <= i < intervals - 1 else 0, scopes=scopes))
    return LocustStatsHistory(interval_s=interval_s, start=START.unix, warmup_start_s=6.0,
                              window_start_s=8.0, window_end_s=(intervals - 1) * interval_s,
                              intervals=rows)


def wide_run() -> Path:
    """A load test whose endpoint table is wider than the page (long names that never wrap),
    with limits from its settings (one endpoint breaks its class's p95) and a history."""
    long_name = "get " + "very-long-endpoint-name-" * 8
    stats = make_stats(make_entry("get experiments", latencies(12, 60, seed=1)),
                       make_entry(long_name, latencies(30, 60, seed=2), failures=4, message=SCRIPT),
                       make_entry("get slow", latencies(80, 60, seed=3), endpoint_class="get"))
    config = settings(locust__p95_ms="1000", locust__p99_ms="0", locust__max_fail_ratio="0.05",
                      locust__slo="get:p95=50; get experiments:p99=500")
    directory = make_run_dir(locust={LOAD_TEST: stats}, config=config)
    (manifest,) = directory.glob("Result-*.json")
    result = Result.open(manifest)
    result.add(sample_history(), test_id=LOAD_TEST, tags=("TestRO.test",))
    return directory


class TestWhatIsSlow(unittest.TestCase):
    def setUp(self):
        self.dir = wide_run()
        self.addCleanup(shutil.rmtree, self.dir.parents[1])

    def test_limits_with_measured_values_marks_and_broken_rows(self):
        html = render_report(load_run(self.dir))
        page = PageText(html)
        self.assertIn("1 of 6 limits broken", page.visible)
        # 4 failures are too few for an endpoint's own limit: the row says so
        self.assertRegex(page.visible, r"✓ class list fail 0\.0% 5\.0% \+100% none with 5\+ failures")
        self.assertRegex(page.visible, r"✗ class get p95 [\d.]+ ms 50\.0 ms -\d+% get slow")
        self.assertRegex(page.visible, r"✓ all requests fail 2\.2% 5\.0% \+\d+%")
        self.assertRegex(page.visible, r"✓ get experiments p99 [\d.]+ ms 500\.0 ms \+9\d%")
        self.assertEqual(html.count('<tr class="broke">'), 1 + 1)  # its limits row and endpoint row
        self.assertIn('title="p95 ', html)
        self.assertIn("Over time: requests/s, latency, users", page.visible)

    def test_summary_lists_every_limit(self):
        from daist.report.summary import summary_text
        text = summary_text(load_run(self.dir))
        self.assertIn("  Limits: 5 met, 1 broken", text)
        self.assertTrue(all(len(line) <= 140 for line in text.splitlines()))
        self.assertRegex(text, r"✗  class get +p95 +[\d.]+ ms +50\.0 ms +-\d+%  get slow")
        self.assertRegex(text, r"✓  get experiments +p99 +[\d.]+ ms +500\.0 ms +\+9\d%")


class TestFailingEndpoint(unittest.TestCase):
    def test_an_endpoint_failing_half_its_requests_is_named_in_limits_and_failures(self):
        stats = make_stats(make_entry("get experiments", latencies(12, 2000, seed=1)),
                           make_entry("get agents", latencies(3, 40, seed=2), failures=20,
                                      message="LocustBadStatusCode: code=503", endpoint_class="get"))
        directory = make_run_dir(locust={LOAD_TEST: stats}, config=settings(
            locust__p95_ms="1000", locust__p99_ms="0", locust__max_fail_ratio="0.05"))
        self.addCleanup(shutil.rmtree, directory.parents[1])
        html = render_report(load_run(directory))
        page = PageText(html)
        self.assertLess(stats.fail_ratio, 0.05)
        self.assertRegex(page.visible, r"✗ class get fail 50\.0% 5\.0% -900% get agents")
        self.assertIn("✗ fail 50.0% > 5.0%", page.visible)            # its endpoint row
        self.assertIn("20 GET get agents LocustBadStatusCode: code=503", page.visible)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--virtual-time-budget=5000"]
MEASURE = """<script>
(function () {
  var box = document.querySelector(".scroll"), figure = document.querySelector('img[alt^="Over time"]');
  var rect = figure.getBoundingClientRect();
  document.title = JSON.stringify({page: document.documentElement.scrollWidth, viewport: window.innerWidth,
    table: box.scrollWidth, box: box.clientWidth, top: rect.top + window.scrollY, left: rect.left,
    width: rect.width, height: rect.height, loaded: figure.complete && figure.naturalWidth > 0});
})();
</script>"""


@unittest.skipUnless(CHROMIUM, "needs Chromium (apt-get install -y chromium; .ci/run installs it)")
class TestInChromium(unittest.TestCase):
    """The page as a browser lays it out, 1,280 px wide."""

    def setUp(self):
        self.work = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.dir = wide_run()
        self.addCleanup(shutil.rmtree, self.dir.parents[1])
        html = render_report(load_run(self.dir))
        self.page = self.work / "report.html"
        self.page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")

    def chromium(self, *args: str) -> subprocess.CompletedProcess:
        profile = tempfile.mkdtemp(dir=self.work)
        done = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                               "--window-size=1280,900", *args, self.page.as_uri()],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        return done

    def layout(self) -> dict:
        dom = self.chromium("--dump-dom").stdout
        match = re.search(r"<title>(\{.*?\})</title>", dom)
        self.assertIsNotNone(match, dom[:500])
        return json.loads(html_module.unescape(match[1]))

    def test_no_horizontal_overflow_the_table_scrolls_inside(self):
        layout = self.layout()
        self.assertEqual(layout["viewport"], 1280)
        self.assertLessEqual(layout["page"], layout["viewport"])
        self.assertGreater(layout["table"], layout["box"])     # wider than the page: it scrolls
        self.assertTrue(layout["loaded"])

    def test_screenshot_shows_the_over_time_figure(self):
        layout = self.layout()
        height = int(layout["top"] + layout["height"]) + 20
        shot = self.work / "shot.png"
        self.chromium(f"--screenshot={shot}", f"--window-size=1280,{height}")
        from matplotlib.image import imread
        pixels = imread(shot)
        self.assertEqual(pixels.shape[:2], (height, 1280))
        top, left = int(layout["top"]), int(layout["left"])
        figure = pixels[top:top + int(layout["height"]), left:left + int(layout["width"]), :3]
        self.assertGreater(figure.size, 0)
        self.assertGreater(float(figure.std()), 0.05)         # drawn lines, not a blank box
        self.assertLess(float(figure.mean()), 0.98)


class TestMetricProgress(unittest.TestCase):
    def test_the_sweep_is_drawn_by_report_number_per_level(self):
        from daist.models.metric_latency import LatencySeries, MetricLatencySweep, Observation
        sweep = MetricLatencySweep(axis="concurrency")
        for level in (1, 2):
            observations = [Observation(trial_id=t, index=i, enqueue_ms=1.0, write_ms=2.0 + i,
                                        visible_ms=5.0 + i)
                            for t in range(level) for i in range(4)]
            sweep.add(LatencySeries(level=level, concurrency=level, metric_count=8, num_batches=4,
                                    trial_ids=list(range(level)), observations=observations))
        directory = make_run_dir(metrics={METRIC_TEST: sweep.op_hist()})
        self.addCleanup(shutil.rmtree, directory.parents[1])
        (manifest,) = directory.glob("Result-*.json")
        Result.open(manifest).add(sweep, test_id=METRIC_TEST, tags=("Test.test",))
        run = load_run(directory)
        self.assertIs(type(run.artifact_of(MetricLatencySweep, "Test.test")), MetricLatencySweep)
        page = PageText(render_report(run))
        self.assertIn("Reports done and write latency over time, per level (drawn from "
                      "MetricLatencySweep-Test.test-",
                      page.visible)
        self.assertEqual(len(page.references), 3)  # the answer chart, the faceted figure, this one
