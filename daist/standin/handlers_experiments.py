"""Handlers: experiment creation, reads, writes and lifecycle (kill, pause, ...)."""
from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from daist.standin.auth import USER
from daist.standin.backend import Backend
from daist.standin.checkpoint_order import ordered_from_query
from daist.standin.errors import BadRequest
from daist.standin.expconf import expand, merge, parse_config
from daist.standin.exp_entities import TERMINAL_STATES, Experiment
from daist.standin.reqs import (as_int, body_object, descending, paged, q_bool, q_int, q_ints,
                                q_strs)
from daist.standin.searcher import trial_hparams
from daist.standin.store import ExperimentQuery
from daist.standin.trialenv import check_model_files

Json = dict[str, Any]


async def create_experiment(backend: Backend, request: web.Request) -> Json:
    """``validateOnly`` and ``unmanaged`` experiments are not implemented (400)."""
    data = await body_object(request)
    if data.get("validateOnly") or data.get("unmanaged"):
        raise BadRequest("validateOnly and unmanaged experiments are not implemented by the stand-in")
    store = backend.store
    original = data.get("config")
    config = parse_config(original)
    if data.get("template"):
        config = merge(store.get_template(str(data["template"])).config, config)
    project_id = int(data.get("projectId") or 1)
    store.get_project(project_id)
    files = check_model_files(data.get("modelDefinition"))
    config = expand(config, checkpoint_dir=str(backend.work_dir / "checkpoints"))
    activate = data.get("activate", True) is not False
    with store.transaction():
        exp_id = store.add_experiment(
            project_id=project_id, user_id=request[USER].id,
            config_id=store.add_config(config, original if isinstance(original, str) else ""),
            model_def_id=store.add_model_def(files), config=config,
            state="STATE_ACTIVE" if activate else "STATE_PAUSED")
        for values in trial_hparams(config, seed=backend.options.seed * 100_003 + exp_id):
            store.add_trial(experiment_id=exp_id, hparams=values, task_id=f"{exp_id}.{uuid.uuid4()}")
    if activate:
        backend.trials.start_experiment(exp_id)
    exp = store.get_experiment(exp_id)
    return {"experiment": exp.to_dict(), "config": exp.config, "warnings": []}


def _query(request: web.Request) -> ExperimentQuery:
    return ExperimentQuery(
        archived=q_bool(request, "archived"), name=request.query.get("name"),
        description=request.query.get("description"), labels=q_strs(request, "labels"),
        project_id=q_int(request, "projectId"), states=q_strs(request, "states"),
        user_ids=q_ints(request, "userIds"), users=q_strs(request, "users"),
        id_in=q_ints(request, "experimentIdFilter.incl"),
        id_not_in=q_ints(request, "experimentIdFilter.notIn"),
        id_gt=q_int(request, "experimentIdFilter.gt"), id_gte=q_int(request, "experimentIdFilter.gte"),
        id_lt=q_int(request, "experimentIdFilter.lt"), id_lte=q_int(request, "experimentIdFilter.lte"),
        sort_by=request.query.get("sortBy") or "SORT_BY_ID", descending=descending(request))


async def list_experiments(backend: Backend, request: web.Request) -> Json:
    experiments, page = backend.store.list_experiments(
        _query(request), offset=q_int(request, "offset", 0) or 0, limit=q_int(request, "limit", 0) or 0)
    return {"experiments": [e.to_dict() for e in experiments], "pagination": page.to_dict()}


def _job_summary(backend: Backend, exp: Experiment) -> Json | None:
    if exp.state in TERMINAL_STATES:
        return None
    running = backend.trials.running_count(exp.id)
    return {"state": "STATE_SCHEDULED" if running else "STATE_QUEUED", "jobsAhead": 0}


async def get_experiment(backend: Backend, request: web.Request, experimentId: str) -> Json:
    exp = backend.store.get_experiment(as_int(experimentId, "experimentId"))
    return {"experiment": exp.to_dict(), "jobSummary": _job_summary(backend, exp),
            "config": exp.config}


async def patch_experiment(backend: Backend, request: web.Request, experimentId: str) -> Json:
    patch = await body_object(request)
    exp = backend.store.patch_experiment(as_int(experimentId, "experimentId"), patch)
    return {"experiment": exp.to_dict()}


async def put_label(backend: Backend, request: web.Request, experimentId: str, label: str) -> Json:
    return {"labels": backend.store.put_label(as_int(experimentId, "experimentId"), label)}


async def delete_label(backend: Backend, request: web.Request, experimentId: str,
                       label: str) -> Json:
    return {"labels": backend.store.delete_label(as_int(experimentId, "experimentId"), label)}


async def experiment_labels(backend: Backend, request: web.Request) -> Json:
    return {"labels": backend.store.experiment_labels(project_id=q_int(request, "projectId"))}


def _experiment(backend: Backend, experiment_id: str) -> Experiment:
    return backend.store.get_experiment(as_int(experiment_id, "id"))


async def kill(backend: Backend, request: web.Request, id: str) -> Json:
    """Kill and cancel both stop the trial processes at once and end CANCELED."""
    exp = _experiment(backend, id)
    if exp.state not in TERMINAL_STATES:
        await backend.trials.kill_experiment(exp.id)
    return {}


async def pause(backend: Backend, request: web.Request, id: str) -> Json:
    exp = _experiment(backend, id)
    if exp.state not in TERMINAL_STATES:
        backend.trials.pause_experiment(exp.id)
    return {}


async def activate(backend: Backend, request: web.Request, id: str) -> Json:
    exp = _experiment(backend, id)
    if exp.state == "STATE_PAUSED":
        backend.trials.activate_experiment(exp.id)
    return {}


async def archive(backend: Backend, request: web.Request, id: str) -> Json:
    backend.store.set_archived(as_int(id, "id"), True)
    return {}


async def unarchive(backend: Backend, request: web.Request, id: str) -> Json:
    backend.store.set_archived(as_int(id, "id"), False)
    return {}


async def delete_experiment(backend: Backend, request: web.Request, experimentId: str) -> Json:
    backend.store.delete_experiment(as_int(experimentId, "experimentId"))
    return {}


async def experiment_trials(backend: Backend, request: web.Request, experimentId: str) -> Json:
    trials = backend.store.list_trials(as_int(experimentId, "experimentId"),
                                       states=q_strs(request, "states"),
                                       sort_by=request.query.get("sortBy") or "SORT_BY_ID",
                                       descending=descending(request))
    return paged(request, "trials", trials)


async def experiment_checkpoints(backend: Backend, request: web.Request, id: str) -> Json:
    exp = backend.store.get_experiment(as_int(id, "id"))
    checkpoints = backend.store.list_checkpoints(trial_ids=exp.trial_ids,
                                                 states=q_strs(request, "states"))
    return paged(request, "checkpoints", ordered_from_query(checkpoints, request.query, exp.config))


async def search_experiments(backend: Backend, request: web.Request) -> Json:
    """``projectId``, ``offset`` and ``limit`` (0 = 100); ``filter`` and ``sort`` are not
    implemented. ``bestTrial`` is the trial with the best searcher metric."""
    data = await body_object(request)
    project = data.get("projectId")
    query = ExperimentQuery(project_id=int(project) if project else None)
    experiments, page = backend.store.list_experiments(
        query, offset=int(data.get("offset") or 0), limit=int(data.get("limit") or 0))
    out = []
    for exp in experiments:
        best = backend.store.best_trial_id(exp.trial_ids[:8], exp.searcher_metric)
        out.append({"experiment": exp.to_dict(),
                    "bestTrial": None if best is None else backend.store.get_trial(best).to_dict()})
    return {"experiments": out, "pagination": page.to_dict()}
