"""Handlers: tasks, allocations, task and trial logs, and commands/notebooks/shells/tensorboards."""
from __future__ import annotations

import asyncio
import base64
import csv
import datetime
import io
import tarfile
from dataclasses import dataclass
from typing import Any, AsyncIterator

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.state.cluster_entities import AGENT_ID
from daist.standin.common.errors import BadRequest, Internal, Unimplemented
from daist.standin.http.reqs import as_int, descending, paged, q_bool, q_int, q_ints, q_strs, stream
from daist.standin.state.store_tasks import COMMAND_KINDS
from daist.standin.trials.trialenv import DIR_TYPE
from daist.standin.common.wire import iso, parse_iso

Json = dict[str, Any]
FOLLOW_POLL_S = 0.2
RANK_ID = 0


async def tasks(backend: Backend, request: web.Request) -> Json:
    return {"allocationIdToSummary": {a.allocation_id: a.summary()
                                      for a in backend.store.active_allocations()}}


async def legacy_tasks(backend: Backend, request: web.Request) -> Json:
    """``GET /tasks`` outside /api: allocation id -> summary in the master's Go JSON."""
    return {a.allocation_id: a.legacy_summary() for a in backend.store.active_allocations()}


_CSV_HEADER = ("allocation_id", "task_type", "username", "workspace_name", "experiment_id", "slots",
               "start_time", "end_time", "imagepulling_time", "slot_hours", "resource_pool")


def _csv_time(request: web.Request, name: str, what: str) -> float:
    """The master takes exactly ``YYYY-MM-DDTHH:MM:SSZ`` (a 500 otherwise, as from echo)."""
    text = request.query.get(name, "")
    try:
        moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise Internal(f"invalid {what} time: cannot parse {text!r}") from None
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def _go_time(ts: float | None) -> str:
    """Go's RFC3339Nano in UTC: trailing zeros of the fraction dropped ('' for none)."""
    if ts is None:
        return ""
    text = iso(ts) or ""
    whole, _, fraction = text[:-1].partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}Z" if fraction else f"{whole}Z"


async def allocations_csv(backend: Backend, request: web.Request) -> web.Response:
    """``GET /resources/allocation/allocations-csv``: every allocation that ran between
    ``timestamp_after`` and ``timestamp_before``, with who ran it, where and for which
    experiment as when it started, and its slot-hours inside the window."""
    start = _csv_time(request, "timestamp_after", "start")
    end = _csv_time(request, "timestamp_before", "end")
    if start > end:
        raise Internal("start time cannot be after end time")
    now = backend.store.now()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_HEADER)
    for row in backend.store.allocations_between(start, end):
        ran_to = max(row["end_time"] if row["end_time"] is not None else now, row["start_time"])
        seconds = (min(ran_to, end) - max(row["start_time"], start)) * row["slots"]
        writer.writerow([
            row["allocation_id"], row["task_type"].removeprefix("TASK_TYPE_"), row["username"],
            row["workspace_name"], "" if not row["experiment_id"] else row["experiment_id"],
            row["slots"], _go_time(row["start_time"]), _go_time(row["end_time"]), "0.0",
            f"{seconds / 3600:f}" if seconds else "0.0", row["resource_pool"]])
    return web.Response(text=out.getvalue(), content_type="text/csv")


async def task_count(backend: Backend, request: web.Request) -> Json:
    return backend.store.task_counts()


async def get_task(backend: Backend, request: web.Request, taskId: str) -> Json:
    return {"task": backend.store.get_task(taskId).to_dict()}


async def accelerator_data(backend: Backend, request: web.Request, taskId: str) -> Json:
    task = backend.store.get_task(taskId)
    return {"acceleratorData": [
        {"containerId": a.allocation_id, "allocationId": a.allocation_id,
         "nodeName": AGENT_ID, "taskId": task.task_id, "acceleratorType": "cpu",
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
@dataclass(frozen=True)
class LogFilter:
    """The task/trial log filters of the master: each list keeps rows whose field is in it
    (rankIds -1 means "no rank"), timestamps are (after, before], searchText is a
    case-insensitive substring of the line."""
    allocation_ids: frozenset[str] = frozenset()
    agent_ids: frozenset[str] = frozenset()
    container_ids: frozenset[str] = frozenset()
    rank_ids: frozenset[int] = frozenset()
    levels: frozenset[str] = frozenset()
    stdtypes: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    after: float | None = None
    before: float | None = None
    search: str = ""

    @classmethod
    def of(cls, request: web.Request) -> "LogFilter":
        def stamp(name: str) -> float | None:
            try:
                return parse_iso(request.query.get(name))
            except ValueError:
                raise BadRequest(f"{name} must be an RFC 3339 timestamp") from None

        return cls(allocation_ids=frozenset(q_strs(request, "allocationIds")),
                   agent_ids=frozenset(q_strs(request, "agentIds")),
                   container_ids=frozenset(q_strs(request, "containerIds")),
                   rank_ids=frozenset(q_ints(request, "rankIds")),
                   levels=frozenset(q_strs(request, "levels")),
                   stdtypes=frozenset(q_strs(request, "stdtypes")),
                   sources=frozenset(q_strs(request, "sources")),
                   after=stamp("timestampAfter"), before=stamp("timestampBefore"),
                   search=(request.query.get("searchText") or "").lower())

    def __bool__(self) -> bool:
        return self != LogFilter()

    def keeps(self, row: Json) -> bool:
        def allowed(values: frozenset[Any], value: Any) -> bool:
            return not values or value in values

        return (allowed(self.allocation_ids, row["allocation_id"])
                and allowed(self.agent_ids, AGENT_ID)
                and allowed(self.container_ids, row["allocation_id"])
                and allowed(self.rank_ids, RANK_ID)
                and allowed(self.levels, row["level"])
                and allowed(self.stdtypes, row["stdtype"])
                and allowed(self.sources, "container")
                and (self.after is None or row["timestamp"] > self.after)
                and (self.before is None or row["timestamp"] <= self.before)
                and (not self.search or self.search in row["log"].lower()))


async def _log_rows(backend: Backend, request: web.Request,
                    task_ids: list[str]) -> AsyncIterator[Json]:
    """The stored lines of these tasks (a task that logged nothing has none)."""
    store = backend.store
    follow = bool(q_bool(request, "follow"))
    limit = q_int(request, "limit", 0) or 0
    where = LogFilter.of(request)
    rows = [dict(r) for r in store.list_logs(task_ids, limit=0 if where else limit,
                                             descending=descending(request))]
    last = max((r["id"] for r in rows), default=0)
    rows = [r for r in rows if where.keeps(r)][: limit or None]
    for row in rows:
        yield row
    while follow and not backend.stopping.is_set():
        live = any(a.task_id in task_ids for a in store.active_allocations())
        fresh = [dict(r) for r in store.list_logs(task_ids, after_id=last)]
        for row in fresh:
            last = row["id"]
            if where.keeps(row):
                yield row
        if not live and not fresh:
            return
        await asyncio.sleep(FOLLOW_POLL_S)


def _log_fields(row: Json) -> Json:
    return {"id": str(row["id"]), "level": row["level"], "message": row["log"] + "\n",
            "log": row["log"], "agentId": AGENT_ID, "containerId": row["allocation_id"],
            "rankId": RANK_ID, "source": "container", "stdtype": row["stdtype"]}


async def task_logs(backend: Backend, request: web.Request, taskId: str) -> web.StreamResponse:
    """Stored stdout/stderr lines, filtered (``LogFilter``), limited, ordered, followed."""
    backend.store.get_task(taskId)

    async def lines() -> AsyncIterator[Json]:
        async for row in _log_rows(backend, request, [taskId]):
            yield {**_log_fields(row), "taskId": taskId, "allocationId": row["allocation_id"],
                   "timestamp": iso(row["timestamp"])}

    return await stream(request, lines())


async def trial_logs(backend: Backend, request: web.Request, trialId: str) -> web.StreamResponse:
    trial = backend.store.get_trial(as_int(trialId, "trialId"))

    async def lines() -> AsyncIterator[Json]:
        async for row in _log_rows(backend, request, trial.task_ids):
            yield {**_log_fields(row), "trialId": trial.id, "timestamp": iso(row["timestamp"])}

    return await stream(request, lines())


def _fields(backend: Backend, task_ids: list[str]) -> Json:
    allocations = sorted({r["allocation_id"] for r in backend.store.list_logs(task_ids)})
    return {"agentIds": [AGENT_ID], "containerIds": allocations, "rankIds": [RANK_ID],
            "stdtypes": ["stdout", "stderr"], "sources": ["container"],
            "allocationIds": allocations}


async def task_log_fields(backend: Backend, request: web.Request,
                          taskId: str) -> web.StreamResponse:
    backend.store.get_task(taskId)
    return await stream(request, [_fields(backend, [taskId])])


async def trial_log_fields(backend: Backend, request: web.Request,
                           trialId: str) -> web.StreamResponse:
    trial = backend.store.get_trial(as_int(trialId, "trialId"))
    fields = _fields(backend, trial.task_ids)
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
        return {kind: command.to_dict(), "config": command.shown_config()}

    handler.__name__ = f"get_{kind}"
    return handler


LIST_HANDLERS = {kind: _list_kind(kind) for kind in COMMAND_KINDS}
GET_HANDLERS = {kind: _get_kind(kind) for kind in COMMAND_KINDS}
