"""Handlers: unmanaged (detached-mode) experiments and trials, as ``core_v2.init`` and the
``determined.core`` heartbeat drive them. Code runs anywhere; the master only keeps the
experiment, its trials and what they report (metrics, checkpoints, logs through
``POST /task-logs``).

An unmanaged experiment starts PAUSED and follows its trials (the most progressed trial's state
wins); its trials start PAUSED, become RUNNING on ``/start`` and end as the heartbeat says.
Errors the master raises as plain Go errors reach the client as gRPC UNKNOWN (HTTP 500), as on
the real master.
"""
from __future__ import annotations

import datetime
from typing import Any

from aiohttp import web

from daist.standin.state import store_unmanaged as um
from daist.standin.http.auth import USER
from daist.standin.backend import Backend
from daist.standin.common.errors import BadRequest, NotFound, StandinAPIError
from daist.standin.state.expconf import expand, parse_config
from daist.standin.http.reqs import as_int, body, body_object

Json = dict[str, Any]
TRIAL_STATES = frozenset({
    "STATE_ACTIVE", "STATE_PAUSED", "STATE_STOPPING_CANCELED", "STATE_STOPPING_KILLED",
    "STATE_STOPPING_COMPLETED", "STATE_STOPPING_ERROR", "STATE_CANCELED", "STATE_COMPLETED",
    "STATE_ERROR", "STATE_QUEUED", "STATE_PULLING", "STATE_STARTING", "STATE_RUNNING"})
MAX_LOG_LINES = 10_000  # per POST /task-logs (the SDK ships at most a few hundred at a time)


class Unknown(StandinAPIError):
    """A plain error of the master's handler: gRPC UNKNOWN, HTTP 500."""

    status = 500
    grpc_code = 2


def _experiment_dict(backend: Backend, experiment_id: int) -> tuple[Json, Json]:
    exp = backend.store.get_experiment(experiment_id)
    return exp.to_dict(), exp.config


def _trial_dict(backend: Backend, trial_id: int) -> Json:
    out = backend.store.get_trial(trial_id).to_dict()
    out["externalTrialId"] = um.external_trial_id(backend.store, trial_id)
    return out


def _project_id(backend: Backend, data: Json, config: Json) -> int:
    """``projectId``, else the config's workspace and project names, else Uncategorized."""
    if data.get("projectId"):
        project_id = as_int(data["projectId"], "projectId")
        backend.store.get_project(project_id)
        return project_id
    workspace, project = config.get("workspace"), config.get("project")
    if not workspace and not project:
        return 1
    if not workspace or not project:
        raise BadRequest("workspace and project must both be included in config if one is "
                         "provided")
    found = backend.store.list_workspaces(name=str(workspace))
    if not found:
        raise NotFound(f"workspace '{workspace}' not found")
    for candidate in backend.store.list_projects(workspace_id=found[0].id):
        if candidate.name == str(project):
            return candidate.id
    raise NotFound(f"project '{project}' not found in workspace '{workspace}'")


def _create(backend: Backend, request: web.Request, data: Json, external_id: str | None) -> Json:
    if data.get("parentId"):
        raise Unknown("can't fork into an unmanaged experiment")
    store = backend.store
    original = data.get("config")
    # core_v2 writes every optional key, unset ones as null: unset means "default" here.
    given = {k: v for k, v in parse_config(original).items() if v is not None}
    project_id = _project_id(backend, data, given)
    config = expand(given, checkpoint_dir=str(backend.work_dir / "checkpoints"))
    with store.transaction():
        if external_id is not None:
            existing = um.experiment_by_external_id(store, external_id)
            if existing is not None:  # the master upserts by external id
                experiment, stored = _experiment_dict(backend, existing)
                return {"experiment": experiment, "config": stored}
        exp_id = store.add_experiment(
            project_id=project_id, user_id=request[USER].id,
            config_id=store.add_config(config, original if isinstance(original, str) else ""),
            model_def_id=store.add_model_def([]), config=config, state="STATE_PAUSED")
        um.mark_experiment(store, exp_id, external_id)
    experiment, stored = _experiment_dict(backend, exp_id)
    return {"experiment": experiment, "config": stored}


async def create_experiment(backend: Backend, request: web.Request, data: Json) -> Json:
    """``POST /api/v1/experiments`` with ``unmanaged: true`` (dispatched from the managed
    handler, which has read the body)."""
    return {**_create(backend, request, data, None), "warnings": []}


async def put_experiment(backend: Backend, request: web.Request,
                         externalExperimentId: str) -> Json:
    data = await body_object(request)
    if data.get("unmanaged") is not True:
        raise Unknown("only unmanaged experiments are supported")
    return _create(backend, request, data, externalExperimentId)


def _unmanaged_experiment_of_trial(backend: Backend, trial_id: int) -> int:
    trial = backend.store.get_trial(trial_id)
    if not um.is_unmanaged(backend.store, trial.experiment_id):
        raise Unknown("only unmanaged trials are supported")
    return trial.experiment_id


def _create_trial(backend: Backend, data: Json, external_id: str | None) -> Json:
    if data.get("unmanaged") is not True:
        raise Unknown("only unmanaged trials are supported")
    store = backend.store
    exp_id = as_int(data.get("experimentId"), "experimentId")
    store.require_experiment(exp_id)
    if not um.is_unmanaged(store, exp_id):
        raise Unknown("trials can only be created on unmanaged experiments")
    hparams = data.get("hparams") or {}
    if not isinstance(hparams, dict):
        raise BadRequest("hparams must be an object")
    with store.transaction():
        trial_id = um.upsert_trial(store, experiment_id=exp_id, hparams=hparams,
                                   external_id=external_id)
    return {"trial": _trial_dict(backend, trial_id)}


async def create_trial(backend: Backend, request: web.Request) -> Json:
    return _create_trial(backend, await body_object(request), None)


async def put_trial(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    inner = data.get("createTrialRequest")
    if not isinstance(inner, dict):
        raise BadRequest("createTrialRequest must be an object")
    external = data.get("externalTrialId")
    if not isinstance(external, str):
        raise BadRequest("externalTrialId must be a string")
    return _create_trial(backend, inner, external)


async def start_trial(backend: Backend, request: web.Request, trialId: str) -> Json:
    data = await body_object(request)
    trial_id = as_int(trialId, "trialId")
    store = backend.store
    exp_id = _unmanaged_experiment_of_trial(backend, trial_id)
    with store.transaction():
        try:
            run_id = um.start_trial(store, trial_id, resume=data.get("resume") is True)
        except ValueError as exc:
            raise Unknown(f"failed to start trial: {exc}") from None
        um.update_experiment_state(store, exp_id)
    out: Json = {"trialRunId": run_id, "stepsCompleted": 0, "latestCheckpoint": None}
    if run_id > 1:
        latest = store.list_checkpoints(trial_ids=[trial_id], states=["STATE_COMPLETED"],
                                        descending=True)
        if latest:
            out.update(latestCheckpoint=latest[0].uuid, stepsCompleted=latest[0].steps)
    return out


async def patch_trial(backend: Backend, request: web.Request, trialId: str) -> Json:
    """The heartbeat (no state) and the unmanaged trial's state changes."""
    data = await body_object(request)
    trial_id = as_int(trialId, "trialId")
    store = backend.store
    exp_id = _unmanaged_experiment_of_trial(backend, trial_id)
    state = data.get("state")
    if state is not None:
        if state not in TRIAL_STATES:
            raise BadRequest(f"state must be a trial state, not {state!r}")
        with store.transaction():
            um.set_trial_state(store, trial_id, str(state))
            um.update_experiment_state(store, exp_id)
    return {"trial": _trial_dict(backend, trial_id)}


async def post_task_logs(backend: Backend, request: web.Request) -> Json:
    """``POST /task-logs`` (outside /api/v1): the unmanaged trial's log shipper."""
    logs = await body(request)
    if not isinstance(logs, list) or not all(isinstance(x, dict) for x in logs):
        raise BadRequest("decoding task logs: the body must be a list of task logs")
    if len(logs) > MAX_LOG_LINES:
        raise BadRequest(f"at most {MAX_LOG_LINES} task logs per request")
    by_task: dict[str, list[tuple[float, str, str]]] = {}
    for entry in logs:
        task_id = entry.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise BadRequest("decoding task logs: task_id is required")
        by_task.setdefault(task_id, []).append(
            (_timestamp(entry.get("timestamp"), backend.store.now()),
             str(entry.get("stdtype") or "stdout"), str(entry.get("log") or "")))
    with backend.store.transaction():
        for task_id, lines in by_task.items():
            backend.store.add_logs(task_id=task_id, allocation_id=task_id, lines=lines)
    return {}


def _timestamp(value: Any, default: float) -> float:
    try:
        return datetime.datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return default
