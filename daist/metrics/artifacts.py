"""Saving a sweep as it grows: the data files are rewritten in place after every level (so a
failure at the last level keeps the others), a latency histogram per operation is added per
level, and the summary (percentile plots, text table) is written once at the end, whatever the
ending."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from daist.framework.log import get_logger
from daist.metrics.generator_check import CPU_LIMIT_PERCENT, describe_check, describe_usage
from daist.models.base import Format, TextDocument
from daist.models.metric_latency import (GeneratorCheck, LatencySeries, MetricLatencyOpHist,
                                         MetricLatencySweep)

if TYPE_CHECKING:
    from daist.framework.testcase import DaistTestCase

log = get_logger("metrics")


class SweepArtifacts:
    def __init__(self, test: DaistTestCase, sweep: MetricLatencySweep, *,
                 parameters: dict[str, int], context: Mapping[str, object]) -> None:
        self.test = test
        self.sweep = sweep
        self.parameters = dict(parameters)
        self.context = dict(context)
        self._paths: dict[str, Path] = {}

    def save_data(self) -> MetricLatencyOpHist:
        """(Re)write the sweep and its histograms: one file each, replaced in place. Returns the
        histograms written."""
        op_hist = self.sweep.op_hist(parameters=self.parameters)
        for artifact in (self.sweep, op_hist):
            classname = type(artifact).__name__
            path = self._paths.get(classname)
            if path is None:
                path = self._paths[classname] = self.test.new_artifact_path(classname, fmt=Format.JSON)
            artifact.save(path, replace=True)
            self.test.record_artifact(path, classname=classname)
        return op_hist

    def save_generator(self, checks: Mapping[int, GeneratorCheck]) -> None:
        """Unmanaged mode: each level's generator (workers, their CPU, reports sent) and whether
        the level is valid; rewritten after every level. The sweep's series carry the same
        checks as data (``LatencySeries.generator``)."""
        lines = [f"generator of {self.test.tag} ({self.sweep.axis}; a level is invalid when a "
                 f"generator process sat at >= {CPU_LIMIT_PERCENT:.0f}% of a core or, where the "
                 f"target exposes its timings, added more than its overhead limit)"]
        for level, check in checks.items():
            lines.append(f"{self.sweep.axis} {level}: {describe_check(check)}")
            lines += [f"  {describe_usage(u)}" for u in check.usage]
        path = self._paths.get("MetricGenerator")
        if path is None:
            path = self._paths["MetricGenerator"] = self.test.new_artifact_path(
                "MetricGenerator", fmt=Format.TXT)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.test.record_artifact(path, classname="MetricGenerator")

    def save_level_plots(self, series: LatencySeries) -> None:
        from daist.models.metric_latency import Hist
        from daist.report.metric_plots import hist_figure

        for operation in series.operations:
            samples = series.samples(operation)
            if samples:
                figure = hist_figure(Hist(samples), operation=operation, axis=self.sweep.axis,
                                     level=series.level, context=self.context)
                self.test.save(figure, tags=(operation, series.level), classname="Hist")

    def save_summary(self, op_hist: MetricLatencyOpHist) -> None:
        """Percentile plots per operation and the table of ``op_hist`` (what ``save_data``
        wrote last), from whatever levels were measured."""
        from daist.report.metric_plots import percentile_figure, table_text

        if not op_hist.operations:
            return
        classname = type(op_hist).__name__
        for operation in op_hist.operations:
            self.test.save(percentile_figure(op_hist, operation, context=self.context),
                           tags=(operation,), classname=classname)
        title = f"{classname} of {self.test.tag} on " + \
            ", ".join(f"{k} {v}" for k, v in self.context.items())
        table = table_text(op_hist, title=title)
        self.test.save(TextDocument(text=table), fmt=Format.TXT, classname=classname)
        log.info("metric latencies (ms):\n%s", table.rstrip())
