"""Handlers: run actions (POST /api/v1/runs/kill|pause|resume|archive|unarchive|move|delete).

A run is a trial. Each call names ``runIds`` or a ``filter`` (SearchRuns' filter JSON, not
both) within ``projectId`` (``sourceProjectId`` for move) and answers one
``v1RunActionResult`` per run: an empty ``error`` when done or nothing was needed, else the
master's message for that run. Pause and resume act on the run's experiment, so they refuse
runs of multi-trial experiments; move carries the run's experiment to the destination
project (a multi-trial experiment only when all its runs move, or skipped with
``skipMultitrial``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from daist.standin.trials import exp_lifecycle as lifecycle
from daist.standin.backend import Backend
from daist.standin.common.errors import BadRequest
from daist.standin.state.exp_entities import TERMINAL_STATES
from daist.standin.http.handlers.runs import RUNS_FROM, parse_filter
from daist.standin.http.reqs import as_int, body_object

Json = dict[str, Any]


@dataclass(frozen=True)
class _Run:
    id: int
    state: str
    archived: bool
    experiment_id: int
    experiment_archived: bool
    multitrial: bool

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass
class _Request:
    project_id: int
    run_ids: list[int]
    by_filter: bool
    runs: list[_Run]

    def missing(self, message: str) -> list[Json]:
        """Results for requested ids the project does not hold (id lists only)."""
        seen = {r.id for r in self.runs}
        return [_result(i, message.format(id=i, project=self.project_id))
                for i in self.run_ids if i not in seen]


def _result(run_id: int, error: str = "") -> Json:
    return {"error": error, "id": run_id}


async def _request(backend: Backend, request: web.Request, project_key: str = "projectId") -> tuple[Json, _Request]:
    data = await body_object(request)
    raw_ids = data.get("runIds") or []
    if not isinstance(raw_ids, list):
        raise BadRequest("runIds must be a list of integers")
    run_ids = [as_int(i, "runIds") for i in raw_ids]
    raw_filter = data.get("filter")
    if raw_filter and run_ids:
        raise BadRequest("if filter is provided run id list must be empty")
    project_id = as_int(data.get(project_key) or 0, project_key)
    where, args = ["e.project_id = ?"], [project_id]
    if raw_filter:
        clause, filter_args, _ = parse_filter(raw_filter)
        if clause:
            where.append(clause)
            args.extend(filter_args)
    else:
        where.append(f"t.id IN ({','.join('?' * len(run_ids)) or 'NULL'})")
        args.extend(run_ids)
    rows = backend.store.db.execute(
        "SELECT t.id, t.state, t.archived, e.id AS experiment_id, e.archived AS exp_archived,"
        " e.searcher_type" + RUNS_FROM + f" WHERE {' AND '.join(where)} ORDER BY t.id",
        args).fetchall()
    runs = [_Run(id=r["id"], state=r["state"], archived=bool(r["archived"]),
                 experiment_id=r["experiment_id"], experiment_archived=bool(r["exp_archived"]),
                 multitrial=r["searcher_type"] != "single") for r in rows]
    return data, _Request(project_id=project_id, run_ids=run_ids, by_filter=bool(raw_filter),
                          runs=runs)


_NOT_IN_PROJECT = "Run with id '{id}' not found in project with id '{project}'"


async def kill_runs(backend: Backend, request: web.Request) -> Json:
    _, req = await _request(backend, request)
    results = req.missing("Run with id '{id}' not found")
    for run in req.runs:
        if not run.terminal:
            await backend.trials.kill_trial(run.id)
        results.append(_result(run.id))
    return {"results": results}


async def _pause_or_resume(backend: Backend, request: web.Request, pause: bool) -> Json:
    _, req = await _request(backend, request)
    results: list[Json] = []
    by_experiment: dict[int, int] = {}
    for run in req.runs:
        if run.archived or run.experiment_archived:
            results.append(_result(run.id, "Run is archived."))
        elif run.multitrial:
            results.append(_result(run.id, f"Cannot pause/unpause run '{run.id}' (part of multi-trial)."))
        else:
            by_experiment[run.experiment_id] = run.id
    results += req.missing(_NOT_IN_PROJECT)
    action = "pause" if pause else "activate"
    verb = "pause" if pause else "resume"
    for outcome in await lifecycle.apply(backend, action, list(by_experiment)):
        error = outcome["error"]
        results.append(_result(by_experiment[int(outcome["id"])],  # type: ignore[call-overload]
                               f"Failed to {verb} associated experiment: {error}" if error else ""))
    return {"results": results}


async def pause_runs(backend: Backend, request: web.Request) -> Json:
    return await _pause_or_resume(backend, request, True)


async def resume_runs(backend: Backend, request: web.Request) -> Json:
    return await _pause_or_resume(backend, request, False)


async def _set_archived(backend: Backend, request: web.Request, archive: bool) -> Json:
    _, req = await _request(backend, request)
    results: list[Json] = []
    for run in req.runs:
        if run.experiment_archived:
            results.append(_result(run.id, f"Run is part of archived Search (id: '{run.experiment_id}')."))
        elif run.archived == archive:
            results.append(_result(run.id))
        elif not run.terminal:
            results.append(_result(run.id, "Run is not in terminal state."))
        else:
            backend.store.update_trial(run.id, archived=int(archive))
            results.append(_result(run.id))
    return {"results": results + req.missing(_NOT_IN_PROJECT)}


async def archive_runs(backend: Backend, request: web.Request) -> Json:
    return await _set_archived(backend, request, True)


async def unarchive_runs(backend: Backend, request: web.Request) -> Json:
    return await _set_archived(backend, request, False)


async def delete_runs(backend: Backend, request: web.Request) -> Json:
    """Deletes the runs (their metrics and checkpoints); an experiment left without runs goes
    with them."""
    _, req = await _request(backend, request)
    store = backend.store
    results: list[Json] = []
    deleted: list[_Run] = []
    for run in req.runs:
        if not run.terminal:
            results.append(_result(run.id, "Run is not in a terminal state."))
        else:
            deleted.append(run)
    with store.transaction():
        for run in deleted:
            store.delete_trial(run.id)
            results.append(_result(run.id))
        for experiment_id in {r.experiment_id for r in deleted}:
            if (not store.trial_states(experiment_id)
                    and store.experiment_state(experiment_id) in TERMINAL_STATES):
                store.delete_experiment(experiment_id)
    return {"results": results + req.missing(_NOT_IN_PROJECT)}


async def move_runs(backend: Backend, request: web.Request) -> Json:
    data, req = await _request(backend, request, project_key="sourceProjectId")
    store = backend.store
    source = store.get_project(req.project_id)
    destination = store.get_project(as_int(data.get("destinationProjectId"), "destinationProjectId"))
    if source.archived:
        raise BadRequest(f"project ({source.id}) is archived and cannot have runs moved from it")
    if destination.archived:
        raise BadRequest(f"project ({destination.id}) is archived and cannot add new runs")
    skip_multitrial = bool(data.get("skipMultitrial"))
    results: list[Json] = []
    moving: dict[int, list[int]] = {}
    for run in req.runs:
        if run.archived or run.experiment_archived:
            results.append(_result(run.id, "Run is archived."))
        elif run.multitrial and skip_multitrial:
            results.append(_result(run.id, f"Skipping run '{run.id}' (part of multi-trial)."))
        else:
            moving.setdefault(run.experiment_id, []).append(run.id)
    for experiment_id, run_ids in moving.items():
        if len(run_ids) == len(store.trial_states(experiment_id)):
            store.db.execute("UPDATE experiments SET project_id = ? WHERE id = ?",
                             (destination.id, experiment_id))
            results += [_result(i) for i in run_ids]
        else:
            results += [_result(i, "Failed to move associated experiment") for i in run_ids]
    return {"results": results + req.missing(_NOT_IN_PROJECT)}
