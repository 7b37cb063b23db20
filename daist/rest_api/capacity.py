"""TestCapacity's search: a closed-loop load phase per step, judged by ``step_verdict``.
Imports Locust (load process only)."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from daist.framework.capacity import (BROKE, KEPT, UNDECIDED, SearchPlan, SearchResult,
                                      StepOutcome, search_capacity)
from daist.framework.log import get_logger
from daist.framework.usl import fit_usl
from daist.models.capacity import Capacity, CapacityStep
from daist.models.shape import ClosedShape
from daist.report.scaling_plot import capacity_figure
from daist.engine.distributed import WorkerError
from daist.rest_api.loadrun import LoadRun
from daist.rest_api.outputs import stats_list
from daist.rest_api.step_verdict import TOO_FEW, judge_step

if TYPE_CHECKING:
    from daist.rest_api.loadtest import LoadTestCase

log = get_logger("rest_api")


class CapacitySearch:
    """TestCapacity's run: one closed-loop load phase per step at its user count, each judged
    by ``judge_step``; the answer, every step and the USL fit are saved as ``Capacity`` (also
    when the search is interrupted or fails, with the steps it made)."""

    def __init__(self, case: LoadTestCase) -> None:
        self.case = case
        self.settings = case.session.settings.capacity
        self.setup = case.prepare_load(shape=ClosedShape.name, rate=0.0)
        self.steps: list[StepOutcome] = []

    def run(self) -> None:
        plan = self.setup.plan
        search = SearchPlan(start=max(self.settings.start_users, plan.processes),
                            growth=self.settings.growth, resolution=self.settings.resolution,
                            max_level=max(self.settings.max_users, plan.processes))
        result: SearchResult | None = None
        try:
            result = search_capacity(self._step, search, say=lambda text: log.info("%s: %s",
                                                                                  self.case.tag, text))
        finally:  # also on failure, Ctrl-C and SIGTERM: keep the steps that ran
            capacity = self._capacity(result, search)
            self.case.save(capacity)
            if len(capacity.steps) > 1:
                self.case.save(capacity_figure(capacity, title=f"{self.case.tag}: capacity"),
                               tags=("capacity",), classname="Capacity")
            self.case.remove_leftovers(self.setup.spec, self.setup.profile)
            log.info("%s: %s", self.case.tag, capacity.headline)
        if result.capacity == 0:
            self.case.fail(f"no user count kept every limit: {result.limited_by}")

    def _step(self, users: int) -> StepOutcome:
        outcome = self._measure(users, self.settings.step_time)
        if outcome.outcome == UNDECIDED and outcome.decided_by.startswith(TOO_FEW):
            log.info("%s: %d users: %s; measuring %.0f s once more", self.case.tag, users,
                     outcome.decided_by, 2 * self.settings.step_time)
            outcome = self._measure(users, 2 * self.settings.step_time)
        self.steps.append(outcome)
        return outcome

    def _measure(self, users: int, seconds: float) -> StepOutcome:
        plan = dataclasses.replace(self.setup.plan, users=users,
                                   run_time=self.setup.plan.warmup + seconds)
        load = LoadRun(spec=self.setup.spec, plan=plan, label=f"{self.case.tag} {users} users",
                       log_dir=self.case.session.results_dir)
        try:
            load.run()
        except WorkerError as exc:  # a lost worker: no step can be judged without it
            self.case.fail(str(exc))
        return judge_step(users, stats_list(load), self.setup.slo, self.setup.tasks)

    def _capacity(self, result: SearchResult | None, search: SearchPlan) -> Capacity:
        if result is None:  # interrupted or failed: what the steps so far show
            kept = [s.level for s in self.steps if s.outcome == KEPT]
            result = SearchResult(capacity=max(kept, default=0), at_least=True,
                                  limited_by="the search did not finish", steps=self.steps)
        valid = [s for s in result.steps if s.outcome in (KEPT, BROKE)]
        fit = fit_usl([s.level for s in valid], [s.throughput for s in valid])
        plan = self.setup.plan
        return Capacity(
            unit="users", capacity_users=result.capacity, at_least=result.at_least,
            limited_by=result.limited_by,
            limits=(f"p95_ms = {_limit(plan.p95_ms)}; p99_ms = {_limit(plan.p99_ms)}; "
                    f"max_fail_ratio = {_limit(plan.max_fail_ratio)}; slo = {plan.slo or '(none)'}"),
            search={"start": search.start, "growth": search.growth,
                    "resolution": search.resolution, "max_level": search.max_level,
                    "step_time": self.settings.step_time, "warmup": plan.warmup,
                    "mix": self.case.workload, "wait_time": plan.wait_time},
            steps=[CapacityStep(level=s.level, outcome=s.outcome, decided_by=s.decided_by,
                                throughput=round(s.throughput, 3), p95_ms=s.p95_ms,
                                num_requests=s.num_requests)
                   for s in result.steps],
            usl=dataclasses.asdict(fit) if fit is not None else None)


def _limit(value: float | None) -> str:
    return "(none)" if value is None else f"{value:g}"
