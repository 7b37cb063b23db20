"""Handlers: experiment creation, reads, writes and lifecycle (kill, pause, ...)."""
from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from daist.standin.trials import exp_lifecycle as lifecycle
from daist.standin.http.handlers import unmanaged
from daist.standin.trials import log_policies
from daist.standin.http.auth import USER, require_admin_or_owner
from daist.standin.backend import Backend
from daist.standin.state.checkpoint_order import ordered_from_query
from daist.standin.common.errors import BadRequest, NotFound
from daist.standin.trials.exp_storage import storage_root
from daist.standin.state.expconf import expand, merge, parse_config, with_pool_defaults
from daist.standin.state.exp_entities import TERMINAL_STATES, Experiment
from daist.standin.http.reqs import (as_int, body_object, descending, paged, q_bool, q_int, q_ints,
                                q_strs)
from daist.standin.trials.searcher import trial_hparams
from daist.standin.state.store import ExperimentQuery
from daist.standin.trials.trialenv import check_model_files

Json = dict[str, Any]


def expanded(backend: Backend, config: Json) -> Json:
    """The config as stored and handed to trials, its checkpoint storage resolved on this
    host (``exp_storage``)."""
    root = storage_root(config.get("checkpoint_storage"), backend.work_dir / "checkpoints")
    out = log_policies.with_defaults(expand(config, checkpoint_dir=str(root)))
    out = with_pool_defaults(out, backend.store.task_container_defaults(
        out["resources"]["resource_pool"]))
    log_policies.compile_policies(out)  # a bad pattern or action is the creator's 400
    return out


async def create_experiment(backend: Backend, request: web.Request) -> Json:
    """``validateOnly`` is not implemented (400); ``unmanaged`` goes to ``handlers_unmanaged``."""
    data = await body_object(request)
    if data.get("unmanaged") is True and not data.get("validateOnly"):
        return await unmanaged.create_experiment(backend, request, data)
    if data.get("validateOnly"):
        raise BadRequest("validateOnly experiments are not implemented by the stand-in")
    store = backend.store
    original = data.get("config")
    config = parse_config(original)
    if data.get("template"):
        config = merge(store.get_template(str(data["template"])).config, config)
    project_id = int(data.get("projectId") or 1)
    store.get_project(project_id)
    files = check_model_files(data.get("modelDefinition"))
    config = expanded(backend, config)
    activate = data.get("activate", True) is not False
    warm_start = _warm_start(backend, config.get("searcher") or {})
    with store.transaction():
        exp_id = store.add_experiment(
            project_id=project_id, user_id=request[USER].id,
            config_id=store.add_config(config, original if isinstance(original, str) else ""),
            model_def_id=store.add_model_def(files), config=config,
            state="STATE_ACTIVE" if activate else "STATE_PAUSED")
        for values in trial_hparams(config, seed=backend.options.seed * 100_003 + exp_id):
            store.add_trial(experiment_id=exp_id, hparams=values, task_id=f"{exp_id}.{uuid.uuid4()}",
                            warm_start=warm_start)
    if activate:
        backend.trials.start_experiment(exp_id)
    exp = store.get_experiment(exp_id)
    return {"experiment": exp.to_dict(), "config": exp.config, "warnings": []}


def _warm_start(backend: Backend, searcher: dict[str, Any]) -> str | None:
    """The checkpoint ``searcher.source_trial_id`` (its latest) or ``source_checkpoint_uuid``
    names; every trial starts from it (``warmStartCheckpointUuid``, ``latest_checkpoint``)."""
    store = backend.store
    if searcher.get("source_trial_id") is not None:
        trial_id = as_int(searcher["source_trial_id"], "source_trial_id")
        try:
            checkpoint = store.get_trial(trial_id).best_checkpoint
        except NotFound:
            checkpoint = None
        if checkpoint is None:
            raise BadRequest(f"no checkpoint found for source trial {trial_id}")
        return checkpoint.uuid
    if searcher.get("source_checkpoint_uuid"):
        uuid_text = str(searcher["source_checkpoint_uuid"])
        try:
            return store.get_checkpoint(str(uuid.UUID(uuid_text))).uuid
        except ValueError:
            raise BadRequest("invalid source checkpoint UUID") from None
        except NotFound:
            raise BadRequest(f"no checkpoint found with UUID {uuid_text}") from None
    return None


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
    if exp.state != "STATE_ACTIVE":  # the master gives one only while it is active
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


async def _act(backend: Backend, name: str, id: str) -> Json:
    experiment_id = as_int(id, "id")
    backend.store.require_experiment(experiment_id)
    await lifecycle.ACTIONS[name](backend, experiment_id)
    return {}


async def kill(backend: Backend, request: web.Request, id: str) -> Json:
    """STOPPING_KILLED, processes terminated at once, then CANCELED."""
    return await _act(backend, "kill", id)


async def cancel(backend: Backend, request: web.Request, id: str) -> Json:
    """STOPPING_CANCELED: trials are preempted and the experiment ends CANCELED."""
    return await _act(backend, "cancel", id)


async def pause(backend: Backend, request: web.Request, id: str) -> Json:
    return await _act(backend, "pause", id)


async def activate(backend: Backend, request: web.Request, id: str) -> Json:
    return await _act(backend, "activate", id)


async def archive(backend: Backend, request: web.Request, id: str) -> Json:
    backend.store.set_archived(as_int(id, "id"), True)
    return {}


async def unarchive(backend: Backend, request: web.Request, id: str) -> Json:
    backend.store.set_archived(as_int(id, "id"), False)
    return {}


async def delete_experiment(backend: Backend, request: web.Request, experimentId: str) -> Json:
    experiment_id = as_int(experimentId, "experimentId")
    require_admin_or_owner(request[USER], backend.store.get_experiment(experiment_id).user_id,
                           "non admin users may not delete other user's experiments")
    await lifecycle.delete(backend, experiment_id)
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
