"""Handlers: tasks, allocations, task and trial logs, and commands/notebooks/shells/tensorboards."""
from __future__ import annotations

import asyncio
import base64
import io
import json
import tarfile
from typing import Any, AsyncIterator

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.reqs import as_int, descending, paged, q_bool, q_int, q_ints, stream
from daist.standin.store_tasks import COMMAND_KINDS
from daist.standin.trialenv import DIR_TYPE
from daist.standin.wire import iso

Json = dict[str, Any]
FOLLOW_POLL_S = 0.2


async def tasks(backend: Backend, request: web.Request) -> Json:
    return {"allocationIdToSummary": {a.allocation_id: a.summary()
                                      for a in backend.store.active_allocations()}}


async def task_count(backend: Backend, request: web.Request) -> Json:
    return backend.store.task_counts()


async def get_task(backend: Backend, request: web.Request, taskId: str) -> Json:
    return {"task": backend.store.get_task(taskId).to_dict()}


async def accelerator_data(backend: Backend, request: web.Request, taskId: str) -> Json:
    task = backend.store.get_task(taskId)
    return {"acceleratorData": [
        {"containerId": a.allocation_id, "allocationId": a.allocation_id,
         "nodeName": "standin-agent", "taskId": task.task_id, "acceleratorType": "cpu",
         "acceleratorUuids": [], "resourcePool": a.resource_pool} for a in task.allocations]}


async def task_config(backend: Backend, request: web.Request, taskId: str) -> Json:
    return {"config": backend.store.get_task(taskId).config}


def model_tgz(files: list[Json]) -> str:
    """A model definition (v1File list) as the base64 tar.gz the master serves."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for item in files:
            info = tarfile.TarInfo(str(item["path"]))
            info.mtime = int(item.get("mtime") or 0)
            info.mode = int(item.get("mode") or 0o644) & 0o777
            if item.get("type") == DIR_TYPE:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
                continue
            data = base64.b64decode(item.get("content") or "")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return base64.b64encode(buffer.getvalue()).decode()


async def context_directory(backend: Backend, request: web.Request, taskId: str) -> Json:
    trial = backend.store.trial_for_task(taskId)
    if trial is None:
        backend.store.get_task(taskId)
        return {"b64Tgz": ""}
    return {"b64Tgz": model_tgz(backend.store.model_def_files(trial.experiment_id))}


# -- logs ----------------------------------------------------------------------------------
def _seeded_lines(backend: Backend, task_id: str) -> list[Json]:
    """Seeded tasks never ran; they get a few plausible lines instead of stored ones."""
    trial = backend.store.trial_for_task(task_id)
    if trial is not None:
        start = trial.start_time
        texts = [f"seeded trial {trial.id} of experiment {trial.experiment_id} starting",
                 f"hparams: {json.dumps(trial.hparams, sort_keys=True)}",
                 f"trial {trial.id} finished in state {trial.state}"]
    else:
        command = backend.store.get_command(task_id)
        start = command.start_time
        texts = [f"seeded {command.kind} {command.id} starting", f"{command.description} is running"]
    return [{"id": i + 1, "allocation_id": f"{task_id}.1", "timestamp": start + i,
             "stdtype": "stdout", "level": "LOG_LEVEL_INFO", "log": text}
            for i, text in enumerate(texts)]


async def _log_rows(backend: Backend, request: web.Request, task_id: str) -> AsyncIterator[Json]:
    store = backend.store
    follow = bool(q_bool(request, "follow"))
    limit = q_int(request, "limit", 0) or 0
    rows = [dict(r) for r in store.list_logs(task_id, limit=limit, descending=descending(request))]
    if not rows and not follow:
        rows = _seeded_lines(backend, task_id)[: limit or None]
    last = max((r["id"] for r in rows), default=0)
    for row in rows:
        yield row
    while follow and not backend.stopping.is_set():
        live = any(a.task_id == task_id for a in store.active_allocations())
        fresh = [dict(r) for r in store.list_logs(task_id, after_id=last)]
        for row in fresh:
            last = row["id"]
            yield row
        if not live and not fresh:
            return
        await asyncio.sleep(FOLLOW_POLL_S)


def _log_fields(row: Json) -> Json:
    return {"id": str(row["id"]), "level": row["level"], "message": row["log"] + "\n",
            "log": row["log"], "agentId": "standin-agent", "containerId": row["allocation_id"],
            "rankId": 0, "source": "container", "stdtype": row["stdtype"]}


async def task_logs(backend: Backend, request: web.Request, taskId: str) -> web.StreamResponse:
    """Stored stdout/stderr lines; filters other than limit/orderBy/follow are not implemented."""
    backend.store.get_task(taskId)

    async def lines() -> AsyncIterator[Json]:
        async for row in _log_rows(backend, request, taskId):
            yield {**_log_fields(row), "taskId": taskId, "allocationId": row["allocation_id"],
                   "timestamp": iso(row["timestamp"])}

    return await stream(request, lines())


async def trial_logs(backend: Backend, request: web.Request, trialId: str) -> web.StreamResponse:
    trial = backend.store.get_trial(as_int(trialId, "trialId"))

    async def lines() -> AsyncIterator[Json]:
        async for row in _log_rows(backend, request, trial.task_id):
            yield {**_log_fields(row), "trialId": trial.id, "timestamp": iso(row["timestamp"])}

    return await stream(request, lines())


def _fields(backend: Backend, task_id: str) -> Json:
    allocations = sorted({r["allocation_id"] for r in backend.store.list_logs(task_id)}
                         or {f"{task_id}.1"})
    return {"agentIds": ["standin-agent"], "containerIds": allocations, "rankIds": [0],
            "stdtypes": ["stdout", "stderr"], "sources": ["container"],
            "allocationIds": allocations}


async def task_log_fields(backend: Backend, request: web.Request,
                          taskId: str) -> web.StreamResponse:
    backend.store.get_task(taskId)
    return await stream(request, [_fields(backend, taskId)])


async def trial_log_fields(backend: Backend, request: web.Request,
                           trialId: str) -> web.StreamResponse:
    trial = backend.store.get_trial(as_int(trialId, "trialId"))
    fields = _fields(backend, trial.task_id)
    fields.pop("allocationIds")
    return await stream(request, [fields])


# -- commands, notebooks, shells, tensorboards ---------------------------------------------
def _list_kind(kind: str) -> Any:
    async def handler(backend: Backend, request: web.Request) -> Json:
        items = backend.store.list_commands(kind, workspace_id=q_int(request, "workspaceId"),
                                            user_ids=q_ints(request, "userIds"))
        return paged(request, f"{kind}s", items)

    handler.__name__ = f"list_{kind}s"
    return handler


def _get_kind(kind: str) -> Any:
    async def handler(backend: Backend, request: web.Request, **params: str) -> Json:
        (command_id,) = params.values()
        command = backend.store.get_command(command_id, kind=kind)
        return {kind: command.to_dict(), "config": {"description": command.description}}

    handler.__name__ = f"get_{kind}"
    return handler


LIST_HANDLERS = {kind: _list_kind(kind) for kind in COMMAND_KINDS}
GET_HANDLERS = {kind: _get_kind(kind) for kind in COMMAND_KINDS}
