"""The metric-latency test declares itself (``daist.framework.kinds``): its ``[metrics]``
settings and limits, the artifacts the tools read (its histograms with their database rows,
its sweep drawn over time), its sections of the summary and the page, and what ``compare``
matches. ``daist.app`` declares it with one line."""
from __future__ import annotations

from typing import Any

from daist.db.rows import add_metric_rows
from daist.framework.errors import ConfigError
from daist.framework.kinds import Artifact, Compared, Section, TestKind
from daist.framework.settings import Settings
from daist.models.metric_latency import (TRIAL_OPERATIONS, MetricLatencyOpHist,
                                         MetricLatencySweep, MetricPayloadOpHist)
from daist.models.limits import metric_limits
from daist.metrics.report_sections import TEMPLATE, metric_section, metric_text, progress_plots
from daist.report.compare_measures import compare_metric_levels
from daist.report.loader import RunData, keep_metric_test


def parse_limits(settings: Settings) -> Any:
    """``[metrics] slo`` by the metric test's grammar."""
    from daist.metrics.readback import READ_OPERATIONS

    return metric_limits(settings.metrics.slo, operations=(*TRIAL_OPERATIONS, *READ_OPERATIONS),
                         error=ConfigError)


def metric_tests(run: RunData) -> dict[str, Any]:
    return run.metrics


METRIC_TEST = TestKind(
    name="metric-latency test", settings="metrics", check=parse_limits, limits=parse_limits,
    artifacts=(Artifact(MetricLatencyOpHist, keep=keep_metric_test, rows=add_metric_rows),
               Artifact(MetricPayloadOpHist, keep=keep_metric_test, rows=add_metric_rows),
               Artifact(MetricLatencySweep, plot=progress_plots)),
    sections=(Section(keys=lambda run: list(run.metrics), text=metric_text,
                      template=TEMPLATE, context=metric_section),),
    compared=(Compared("metric-latency test", metric_tests, compare_metric_levels),))
