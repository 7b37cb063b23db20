import io
import random
import tempfile
import unittest
from pathlib import Path

import numpy as np

from daist.models.base import Figure, open_artifact
from daist.models.metric_latency import (Hist, LatencySeries, MetricLatencyOpHist,
                                         MetricLatencySweep, MetricPayloadOpHist, Observation)
from daist.report import metric_plots


def op_hist(spread=1.0):
    rng = random.Random(1)
    hists = MetricLatencyOpHist(parameters={"metric_count": 256, "num_batches": 8})
    for level in (1, 2, 4, 8):
        hists.add("write", level, Hist([rng.uniform(1, 2) * level ** spread for _ in range(50)]))
    return hists


def pixels(figure: Figure) -> np.ndarray:
    import matplotlib.image
    return matplotlib.image.imread(io.BytesIO(figure.png), format="png")



class TestFigures(unittest.TestCase):
    def capture_axes(self, make):
        captured = []
        original = metric_plots.new_figure

        def spy(*args):
            figure = original(*args)
            captured.append(figure)
            return figure
        metric_plots.new_figure = spy
        try:
            result = make()
        finally:
            metric_plots.new_figure = original
        return result, captured[0].axes[0]

    def test_hist_figure_is_a_png_that_opens(self):
        figure = metric_plots.hist_figure(Hist([1.0, 2.0, 2.5, 3.0]), operation="write",
                                          axis="concurrency", level=2, context={"target": "x"})
        self.assertEqual(figure.size, (800, 500))
        image = pixels(figure)
        self.assertEqual(image.shape[:2], (500, 800))
        self.assertGreater(float(image.std()), 0.01)  # not a blank canvas
        with tempfile.TemporaryDirectory() as folder:
            path = figure.save(Path(folder) / "Hist-Test.test-write-2-2024-07-29T18-49-42Z.png")
            self.assertEqual(open_artifact(path).png, figure.png)

    def test_log_axes_only_where_the_spread_needs_them(self):
        _, axes = self.capture_axes(lambda: metric_plots.hist_figure(
            Hist([0.1, 1.0, 50.0]), operation="write", axis="concurrency", level=1))
        self.assertEqual(axes.get_xscale(), "log")
        _, axes = self.capture_axes(lambda: metric_plots.hist_figure(
            Hist([1.0, 1.5, 2.0]), operation="write", axis="concurrency", level=1))
        self.assertEqual(axes.get_xscale(), "linear")
        _, axes = self.capture_axes(lambda: metric_plots.percentile_figure(op_hist(3.0), "write"))
        self.assertEqual((axes.get_xscale(), axes.get_yscale()), ("log", "log"))
        _, axes = self.capture_axes(lambda: metric_plots.percentile_figure(op_hist(0.0), "write"))
        self.assertEqual(axes.get_yscale(), "linear")
        self.assertEqual([t.get_text() for t in axes.get_xticklabels()], ["1", "2", "4", "8"])
        self.assertEqual([line.get_label() for line in axes.get_lines()], ["p50", "p95", "p99"])

    def test_percentile_figure_plots_the_model_values(self):
        hists = op_hist()
        _, axes = self.capture_axes(lambda: metric_plots.percentile_figure(hists, "write"))
        p95 = axes.get_lines()[1].get_ydata()
        self.assertEqual(list(p95), [hists.operations["write"][c].stats()["p95"] for c in (1, 2, 4, 8)])
        figure = metric_plots.percentile_figure(hists, "write")
        self.assertGreater(float(pixels(figure).std()), 0.01)

    def test_empty_hist_still_renders(self):
        figure = metric_plots.hist_figure(Hist(), operation="read_trial", axis="concurrency", level=1)
        self.assertEqual(figure.size, (800, 500))


class TestTable(unittest.TestCase):
    def test_table_rows_and_numbers(self):
        hists = MetricPayloadOpHist(parameters={"concurrency": 1})
        hists.add("write", 4096, Hist([1.0, 2.0, 3.0]))
        hists.add("visible", 1, Hist())
        text = metric_plots.table_text(hists, title="T")
        lines = text.splitlines()
        self.assertEqual(lines[:3], ["T", "parameters: concurrency=1", "latencies in ms"])
        self.assertEqual(lines[3].split()[:4], ["operation", "metric_count", "count", "min"])
        # 3 samples tell a p50 only: p90 (10), p95 (20), p99 (100), p99.9 (1,000) are "-"
        self.assertEqual(lines[5].split(), ["write", "4096", "3", "1.000", "3.000", "2.000", "0.816",
                                            "2.000", "-", "-", "-", "-"])
        self.assertEqual(lines[6].split()[:4], ["visible", "1", "0", "-"])


class TestFacetedFigure(unittest.TestCase):
    def test_percentiles_need_a_sample_beyond_them(self):
        self.assertEqual([metric_plots.min_samples(p) for p in (50, 90, 95, 99)], [2, 10, 20, 100])
        self.assertEqual(metric_plots.shown_percentiles(19), ["p50"])
        self.assertEqual(metric_plots.shown_percentiles(20), ["p50", "p95"])
        self.assertEqual(metric_plots.shown_percentiles(100), ["p50", "p95", "p99"])

    def test_one_png_for_every_operation_and_level(self):
        rng = np.random.default_rng(0)
        op_hist = MetricLatencyOpHist()
        for level in (1, 2, 4):
            for operation in ("write", "visible"):
                op_hist.add(operation, level, Hist(list(rng.lognormal(1 + level / 4, 0.3, 30))))
        op_hist.operations["read_trial"] = {1: Hist([])}          # nothing measured: left out
        figure = metric_plots.faceted_figure(op_hist, title="Test.test")
        self.assertEqual(figure.size, (int((2.6 * 3 + 1) * 100), int((1.9 * 2 + 1) * 100)))
        self.assertIsNone(metric_plots.faceted_figure(MetricLatencyOpHist(), title="x"))


def timed_sweep(*, timed=True):
    """Two levels; level 2's trials send a report every 0.5 s from t0 = 1000 s, writes slowing
    down after 10 s."""
    sweep = MetricLatencySweep(axis="concurrency")
    for level in (1, 2):
        observations = [Observation(t, i, enqueue_ms=0.1, write_ms=1.0 + (5.0 if i >= 20 else 0),
                                    visible_ms=9.0,
                                    sent_unix=(1000.0 + level * 100 + i * 0.5 + t * 0.1)
                                    if timed else None)
                        for t in range(level) for i in range(40)]
        sweep.add(LatencySeries(level=level, concurrency=level, metric_count=4, num_batches=40,
                                trial_ids=list(range(level)), observations=observations))
    return sweep


class TestProgressFigure(unittest.TestCase):
    def draw(self, sweep):
        captured = []
        original = metric_plots.new_figure

        def spy(*args):
            captured.append(original(*args))
            return captured[-1]
        metric_plots.new_figure = spy
        try:
            figure = metric_plots.progress_figure(sweep, title="Test.test")
        finally:
            metric_plots.new_figure = original
        return figure, captured[0].axes

    def test_reports_done_and_write_latency_over_seconds_per_level(self):
        figure, axes = self.draw(timed_sweep())
        self.assertGreater(float(pixels(figure).std()), 0.01)
        done_1, done_2, write_1, write_2 = axes  # row by row: reports done, then write latency
        self.assertEqual(write_2.get_xlabel(), "seconds since the level started")
        steps = done_2.get_lines()[0]
        self.assertEqual(list(steps.get_ydata()), list(range(1, 81)))  # every report, once
        seconds = steps.get_xdata()
        self.assertEqual((seconds[0], round(seconds[-1], 6)), (0.0, 19.6))
        self.assertTrue(all(a <= b for a, b in zip(seconds, seconds[1:])))
        lines = {line.get_label(): line for line in write_2.get_lines()}
        self.assertEqual(set(lines), {"p50 per slice", "p95 per slice"})
        p50 = lines["p50 per slice"]
        early = [y for x, y in zip(p50.get_xdata(), p50.get_ydata()) if x < 9.5]
        late = [y for x, y in zip(p50.get_xdata(), p50.get_ydata()) if x > 10.5]
        self.assertEqual((set(early), set(late)), ({1.0}, {6.0}))  # the slowdown, in time
        self.assertEqual(len(p50.get_xdata()), 2)  # 80 reports: two slices of 40
        # level 1: 40 reports make one slice, whose p95 is that of all its writes
        p95 = {line.get_label(): line for line in write_1.get_lines()}["p95 per slice"]
        self.assertEqual(list(p95.get_ydata()), [float(np.percentile([1.0] * 20 + [6.0] * 20, 95))])
        self.assertIn("concurrency 2: 80 reports of 2 trial(s)", done_2.get_title())

    def test_a_file_without_send_times_falls_back_to_report_number_and_says_so(self):
        _, axes = self.draw(timed_sweep(timed=False))
        self.assertEqual(axes[3].get_xlabel(),
                         "report number in its trial\n(this file keeps no send times)")
        self.assertEqual(list(axes[1].get_lines()[0].get_ydata())[-1], 80)

    def test_nothing_to_draw(self):
        self.assertIsNone(metric_plots.progress_figure(MetricLatencySweep(), title="x"))


class TestTitles(unittest.TestCase):
    def test_a_loopback_url_loses_its_ephemeral_port(self):
        text = metric_plots._context_text({"target": "http://127.0.0.1:40133", "system": "standin",
                                           "cluster": "https://det.example:8443"})
        self.assertEqual(text, "target: http://127.0.0.1   system: standin   "
                               "cluster: https://det.example:8443")
