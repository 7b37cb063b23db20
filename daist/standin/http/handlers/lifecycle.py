"""Handlers: project-level bulk experiment actions and ``POST /api/v1/experiments/continue``.

A bulk call names ``experimentIds`` or ``filters`` (``v1BulkExperimentFilters``; with filters
the ids are ignored and, when no states are given, the action's default states apply). Ids
that do not exist in the project come back as NotFound results; every other experiment gets
the action's own result (see ``exp_lifecycle``).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from aiohttp import web

from daist.standin.trials import exp_lifecycle as lifecycle
from daist.standin.backend import Backend
from daist.standin.common.errors import BadRequest, FailedPrecondition
from daist.standin.state.expconf import merge, parse_config
from daist.standin.state.exp_entities import TERMINAL_STATES
from daist.standin.http.handlers.experiments import expanded
from daist.standin.http.reqs import as_int, body_object
from daist.standin.state.store import ExperimentQuery

Json = dict[str, Any]


def _ints(value: Any, name: str) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"{name} must be a list of integers")
    return [as_int(v, name) for v in value]


def _filtered_ids(backend: Backend, action: str, project_id: int, filters: Json) -> list[int]:
    states = filters.get("states") or lifecycle.DEFAULT_FILTER_STATES.get(action, [])
    archived = filters.get("archived")
    query = ExperimentQuery(
        archived=None if archived is None else bool(archived), name=filters.get("name") or None,
        description=filters.get("description") or None,
        labels=[str(x) for x in filters.get("labels") or []], states=[str(s) for s in states],
        project_id=project_id or as_int(filters.get("projectId") or 0, "projectId") or None,
        user_ids=_ints(filters.get("userIds"), "userIds"),
        id_not_in=_ints(filters.get("excludedExperimentIds"), "excludedExperimentIds"))
    experiments, _ = backend.store.list_experiments(query, limit=-1)
    return [e.id for e in experiments]


def _known_ids(backend: Backend, project_id: int, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    sql = f"SELECT id FROM experiments WHERE id IN ({','.join('?' * len(ids))})"
    args: list[Any] = list(ids)
    if project_id:
        sql, args = sql + " AND project_id = ?", [*args, project_id]
    return {row[0] for row in backend.store.db.execute(sql, args)}


def bulk(action: str) -> Callable[[Backend, web.Request, str], Awaitable[Json]]:
    async def handler(backend: Backend, request: web.Request, projectId: str) -> Json:
        data = await body_object(request)
        project_id = as_int(projectId, "projectId")
        backend.store.get_project(project_id)
        filters = data.get("filters")
        if filters is not None and not isinstance(filters, dict):
            raise BadRequest("filters must be an object")
        results: list[Json] = []
        if filters is not None:
            targets = _filtered_ids(backend, action, project_id, filters)
        else:
            ids = _ints(data.get("experimentIds"), "experimentIds")
            known = _known_ids(backend, project_id, ids)
            targets = [i for i in ids if i in known]
            results = [{"error": lifecycle.rpc_text(lifecycle.not_found(i)), "id": i}
                       for i in ids if i not in known]
        return {"results": results + await lifecycle.apply(backend, action, targets)}

    handler.__name__ = f"bulk_{action}"
    return handler


async def continue_experiment(backend: Backend, request: web.Request) -> Json:
    """``det e continue``: a terminal experiment runs its unfinished trials again (a single
    searcher's trial always), with ``overrideConfig`` merged over its config (single only)."""
    data = await body_object(request)
    store = backend.store
    experiment_id = as_int(data.get("id"), "id")
    if not store.db.execute("SELECT 1 FROM experiments WHERE id = ?",
                            (experiment_id,)).fetchone():
        raise lifecycle.not_found(experiment_id)
    exp = store.get_experiment(experiment_id)
    name = exp.config.get("searcher", {}).get("name", "single")
    single = name == "single"
    if name not in ("single", "grid", "random"):
        raise BadRequest(f"Unsupported searcher type provided: '{name}'")
    override_text = str(data.get("overrideConfig") or "").strip() or "{}"
    if not single and override_text != "{}":
        raise BadRequest("override config is provided and experiment is not single searcher,"
                         f" got '{name}' instead")
    override = parse_config(override_text)
    for key in ("project", "workspace"):
        if key in override:
            raise BadRequest(f"'{key}' in override config cannot be specified, use `det experiment"
                             f" move` first if you want to change the {key}")
    config = expanded(backend, merge(exp.config, override))
    if single and (config.get("searcher") or {}).get("name", "single") != "single":
        raise BadRequest("override config must have single searcher type got"
                         f" '{config['searcher'].get('name')}' instead")
    if exp.state not in TERMINAL_STATES:
        raise FailedPrecondition(
            f"experiment in non terminal state '{lifecycle.model_state(exp.state)}', try again later")
    states = store.trial_states(experiment_id)
    if exp.state == "STATE_COMPLETED" and not single and all(
            s == "STATE_COMPLETED" for s in states):
        raise FailedPrecondition(
            "experiment has been completed, cannot continue this experiment")
    with store.transaction():
        store.set_experiment_config(experiment_id, config)
        backend.trials.continue_experiment(experiment_id)
    return {"experiment": store.get_experiment(experiment_id).to_dict(), "warnings": []}
