"""Metric-latency tests: how long metric writes and reads take as concurrently reporting trials
(``Test``) or the metrics per report (``TestPayload``) grow. Settings: ``[metrics]``.

``./run.py daist.metrics.test_latency`` against the embedded stand-in, e.g. with
``DAIST_METRICS_CONCURRENCY=1,2 DAIST_METRICS_NUM_BATCHES=16`` for a short sweep.
"""
from __future__ import annotations

from daist.framework.capacity import SearchPlan, SearchResult, StepOutcome, search_capacity
from daist.framework.log import get_logger
from daist.framework.settings import Settings
from daist.metrics.capacity import capacity_of, judge_series, level_rules
from daist.metrics.latency_case import MetricsTestCase
from daist.metrics.expconf import Level
from daist.metrics.readback import READ_OPERATIONS
from daist.framework.errors import ConfigError
from daist.models.limits import metric_limits
from daist.models.metric_slo import violations
from daist.models.metric_latency import TRIAL_OPERATIONS

log = get_logger("metrics")


def search_rules(slo: str) -> tuple[list, list]:
    """[metrics] slo as (rules that hold at every level, rules pinned to one level)."""
    return level_rules(metric_limits(slo, operations=TRIAL_OPERATIONS, error=ConfigError).rules)


GUARD = ("{count} metrics per report exceeds [metrics] max_metric_count {limit} "
         "(DAIST_METRICS_MAX_METRIC_COUNT); about 1,048,576 made a master reject the message "
         "and hang")


class Test(MetricsTestCase):
    """One experiment per concurrency level; optional latency limits ([metrics] slo)."""

    axis = "concurrency"

    def test(self) -> None:
        settings = self.session.settings.metrics
        limits = metric_limits(settings.slo, operations=(*TRIAL_OPERATIONS, *READ_OPERATIONS),
                               error=ConfigError)
        self.save(limits)  # the report draws the limits the run was judged by
        if settings.metric_count > settings.max_metric_count:
            self.skipTest(GUARD.format(count=settings.metric_count,
                                       limit=settings.max_metric_count))
        levels = [Level(concurrency=c, metric_count=settings.metric_count,
                        num_batches=settings.num_batches)
                  for c in self.levels_of(settings.concurrency)]
        op_hist = self.run_sweep(levels, parameters={"metric_count": settings.metric_count,
                                                     "num_batches": settings.num_batches})
        broken = violations(limits.rules, op_hist)
        if broken:
            self.fail("latency limits exceeded:\n" + "\n".join(broken))


class TestPayload(MetricsTestCase):
    """One experiment per payload size (metrics per report) at a fixed concurrency, to show
    where the payload starts to hurt. Sizes above [metrics] max_metric_count are skipped."""

    axis = "metric_count"

    def test(self) -> None:
        settings = self.session.settings.metrics
        allowed = []
        for count in settings.metric_counts:
            if count > settings.max_metric_count:
                with self.subTest(metric_count=count):
                    self.skipTest(GUARD.format(count=count, limit=settings.max_metric_count))
            else:
                allowed.append(count)
        levels = [Level(concurrency=settings.payload_concurrency, metric_count=count,
                        num_batches=settings.payload_num_batches) for count in allowed]
        if levels:
            self.run_sweep(levels, parameters={"concurrency": settings.payload_concurrency,
                                               "num_batches": settings.payload_num_batches})


class TestCapacity(MetricsTestCase):
    """The most concurrently reporting unmanaged trials whose latencies keep [metrics] slo:
    the capacity search over the trial count ([capacity] start_trials, growth, resolution,
    max_trials), one unmanaged level per step; writes Capacity (capacity_trials)."""

    axis = "concurrency"

    @classmethod
    def planned_seconds(cls, settings: Settings) -> float | None:
        rules, pinned = search_rules(settings.metrics.slo)
        if settings.metrics.trials != "unmanaged" or pinned or not rules:
            return 0.0  # it skips (test), saying what to set
        return super().planned_seconds(settings)

    def test(self) -> None:
        settings = self.session.settings.metrics
        if not self.unmanaged:
            self.skipTest("the capacity search drives unmanaged trials: set [metrics] trials = "
                          "unmanaged (DAIST_METRICS_TRIALS=unmanaged)")
        rules, pinned = search_rules(settings.slo)
        if pinned or not rules:
            self.skipTest("the capacity search needs [metrics] slo limits that hold at every "
                          "level (OPERATION:STAT=MS, no @LEVEL), e.g. 'write:p95=250'")
        capacity = self.session.settings.capacity
        search = SearchPlan(start=capacity.start_trials, growth=capacity.growth,
                            resolution=capacity.resolution, max_level=capacity.max_trials)
        parameters = {"metric_count": settings.metric_count,
                      "num_batches": settings.num_batches}
        steps: list[StepOutcome] = []
        result: SearchResult | None = None
        with self.measuring(parameters=parameters) as measure:
            def judge(trials: int) -> StepOutcome:
                steps.append(judge_series(measure(Level(
                    concurrency=trials, metric_count=settings.metric_count,
                    num_batches=settings.num_batches)), rules))
                return steps[-1]
            try:
                result = search_capacity(judge, search, say=lambda text: log.info(
                    "%s: %s", self.tag, text))
            finally:  # also on failure and interrupts: the steps that ran
                found = capacity_of(result, steps, rules=rules, search=search,
                                    parameters=parameters)
                self.save(found)
                log.info("%s: %s", self.tag, found.headline)
        if result.capacity == 0:
            self.fail(f"no trial count kept every limit: {result.limited_by}")
