"""Seeding to a plan and removing a label's data, with live progress (rate and ETA).

Seeding counts the label's complete experiments first, deletes the incomplete ones an
interrupted seed left behind, then creates only the difference: so seeding is idempotent,
grows by the difference, and resumes after Ctrl-C by running the same command again.
"""
from __future__ import annotations

import concurrent.futures
import sys
import time
from dataclasses import dataclass
from typing import Callable, TextIO

from daist.framework.progress import Progress, clock_text
from daist.seed.master import SeedMaster, is_complete
from daist.seed.plan import SeedPlan


@dataclass
class SeedOutcome:
    existing: int
    created: int
    replaced: int
    models: int
    versions: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.created / self.seconds if self.seconds > 0 else 0.0


class Counter:
    """Progress of ``total`` items: done, rate and ETA, shown every ``interval`` seconds."""

    def __init__(self, label: str, total: int, *, interval: float | None,
                 stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.progress = Progress(label, interval=interval, stream=stream or sys.stderr)
        self.started = time.monotonic()

    def figures(self) -> dict[str, object]:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else None
        return {"done": f"{self.done}/{self.total}", "rate": f"{rate:.1f}/s",
                "eta": clock_text(eta) if eta is not None else "?"}

    def step(self) -> None:
        self.done += 1
        self.progress.update(self.figures())

    def finish(self) -> None:
        self.progress.done(self.figures())


def seed(master: SeedMaster, plan: SeedPlan, *, concurrency: int,
         interval: float | None = None, say: Callable[[str], None] = print) -> SeedOutcome:
    started = time.monotonic()
    seeded = master.seeded_experiments(plan.tag, plan.prefix)
    complete = [e for e in seeded if is_complete(e)]
    incomplete = [e for e in seeded if not is_complete(e)]
    for experiment in incomplete:
        master.delete_experiment(experiment)
    if incomplete:
        say(f"deleted {len(incomplete)} incomplete experiments of label {plan.label} "
            "(an interrupted seed); they are created again")
    workspace_ids = [master.ensure_workspace(plan.workspace_name(i))
                     for i in range(plan.workspace_count)]
    project_ids = [master.ensure_project(workspace_ids[plan.project_workspace(i)],
                                         plan.project_name(i))
                   for i in range(plan.project_count)]
    missing = max(0, plan.experiments - len(complete))
    if len(complete) > plan.experiments:
        say(f"label {plan.label} already has {len(complete)} experiments (> {plan.experiments}); "
            "nothing is removed (use --remove to start over)")
    say(f"label {plan.label}: {len(complete)} experiments exist, {missing} to create "
        f"({plan.trials_per_experiment} trials x {plan.reports_per_trial} reports x "
        f"{plan.checkpoints_per_trial} checkpoints each) in {len(project_ids)} projects of "
        f"{len(workspace_ids)} workspaces")
    counter = Counter(f"seed {plan.label}", missing, interval=interval)
    first = len(complete) + len(incomplete)  # names keep counting; a replaced one is new
    created = _create_all(master, plan, count=missing, first=first, project_ids=project_ids,
                          concurrency=concurrency, counter=counter)
    counter.finish()
    models, versions = _seed_models(master, plan, workspace_ids[0])
    return SeedOutcome(existing=len(complete), created=created, replaced=len(incomplete),
                       models=models, versions=versions, seconds=time.monotonic() - started)


def _create_all(master: SeedMaster, plan: SeedPlan, *, count: int, first: int,
                project_ids: list[int], concurrency: int, counter: Counter) -> int:
    """Creates ``count`` experiments, at most ``concurrency`` at a time. On Ctrl-C, queued
    work is dropped and the experiments in flight finish (bounded: one experiment each)."""
    created = 0
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency),
                                                 thread_name_prefix="daist-seed")
    try:
        pending = set()
        indexes = iter(range(first, first + count))
        for index in indexes:
            pending.add(pool.submit(master.create_experiment, plan, index=index,
                                    project_id=project_ids[index % len(project_ids)]))
            if len(pending) >= concurrency * 2:
                finished, pending = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED)
                created += _settle(finished, counter)
        while pending:
            finished, pending = concurrent.futures.wait(
                pending, return_when=concurrent.futures.FIRST_COMPLETED)
            created += _settle(finished, counter)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return created


def _settle(finished: set[concurrent.futures.Future], counter: Counter) -> int:
    for future in finished:
        future.result()  # the first failure ends the seed; its message names the call
        counter.step()
    return len(finished)


def _seed_models(master: SeedMaster, plan: SeedPlan, workspace_id: int) -> tuple[int, int]:
    """Models with up to ``versions_per_model`` versions from the label's checkpoints."""
    if plan.model_count == 0:
        return 0, 0
    experiments = [e for e in master.seeded_experiments(plan.tag, plan.prefix) if is_complete(e)]
    added = 0
    for index in range(plan.model_count):
        name = plan.model_name(index)
        have = master.ensure_model(name, plan.tag, workspace_id)
        if have >= plan.versions_per_model or not experiments:
            continue
        source = experiments[index % len(experiments)]
        uuids = master.checkpoints(int(source["id"]))
        for number in range(have, plan.versions_per_model):
            if uuids:
                master.add_version(name, uuids[number % len(uuids)])
                added += 1
    return plan.model_count, added


@dataclass
class RemoveOutcome:
    experiments: int
    models: int
    projects: int
    workspaces: int


def remove(master: SeedMaster, plan: SeedPlan, *, concurrency: int,
           interval: float | None = None) -> RemoveOutcome:
    """Deletes exactly what ``plan.label`` created: its models, experiments, projects and
    workspaces (each found by the label's name prefix and, where the API has one, its tag)."""
    models = master.models(plan.tag, plan.prefix)
    for model in models:
        master.delete_model(str(model["name"]))
    experiments = master.seeded_experiments(plan.tag, plan.prefix)
    counter = Counter(f"remove {plan.label}", len(experiments), interval=interval)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for future in concurrent.futures.as_completed(
                [pool.submit(master.delete_experiment, e) for e in experiments]):
            future.result()
            counter.step()
    counter.finish()
    workspaces = master.workspaces(plan.prefix)
    projects = 0
    for workspace in workspaces:
        for project in master.projects(int(workspace["id"])):
            if str(project.get("name", "")).startswith(plan.prefix):
                master.delete_project(int(project["id"]))
                projects += 1
        master.delete_workspace(int(workspace["id"]))
    return RemoveOutcome(experiments=len(experiments), models=len(models), projects=projects,
                         workspaces=len(workspaces))
