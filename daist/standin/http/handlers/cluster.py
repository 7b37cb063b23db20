"""Handlers: /info, master, agents, resource pools, job queues and the resource aggregate."""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from aiohttp import web

from daist.standin.http.auth import USER
from daist.standin.backend import STANDIN_CLUSTER_NAME, VERSION, Backend
from daist.standin.common.errors import BadRequest, Forbidden, Internal
from daist.standin.http.reqs import as_int, body_object, page_of, paged, q_bool, stream
from daist.standin.state.store import ExperimentQuery
from daist.standin.common.wire import iso, parse_iso

Json = dict[str, Any]
DEFAULT_POOL = "default"  # the default compute and aux pool
_LIVE_STATES = ["STATE_ACTIVE", "STATE_PAUSED", "STATE_QUEUED", "STATE_RUNNING"]


async def info(backend: Backend, request: web.Request) -> Json:
    return {
        "version": VERSION, "master_id": backend.master_id, "cluster_id": backend.cluster_id,
        "cluster_name": STANDIN_CLUSTER_NAME, "telemetry_enabled": False, "branding": "determined",
        "rbac_enabled": backend.options.rbac, "product": "PRODUCT_UNSPECIFIED",
        "user_management_enabled": True, "feature_switches": [],
        "strict_job_queue_control": False, "standin": True,
    }


async def master(backend: Backend, request: web.Request) -> Json:
    return {
        "version": VERSION, "masterId": backend.master_id, "clusterId": backend.cluster_id,
        "clusterName": STANDIN_CLUSTER_NAME, "telemetryEnabled": False, "ssoProviders": [],
        "externalLoginUri": "", "externalLogoutUri": "", "branding": "determined",
        "rbacEnabled": backend.options.rbac, "product": "PRODUCT_UNSPECIFIED",
        "userManagementEnabled": True, "featureSwitches": [], "strictJobQueueControl": False,
        "hasCustomLogo": False,
        "clusterMessage": backend.store.cluster_message(active_only=True),
    }


_GO_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns))+$")
_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def _go_duration(text: str) -> float:
    """Seconds of a Go duration string ("1h30m", "90s"); BadRequest if it is not one."""
    if not _GO_DURATION.match(text):
        raise BadRequest("Duration must be a Go-formatted duration string with a positive value")
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)", text)
    return sum(float(number) * _GO_UNITS[unit] for number, unit in parts)


def _require_admin(request: web.Request,
                   message: str = "only admin privileged users can update the master config") -> None:
    if not request[USER].admin:
        raise Forbidden(message)


async def get_cluster_message(backend: Backend, request: web.Request) -> Json:
    _require_admin(request)
    return {"clusterMessage": backend.store.cluster_message(active_only=False)}


async def set_cluster_message(backend: Backend, request: web.Request) -> Json:
    _require_admin(request)
    data = await body_object(request)
    if not isinstance(data.get("message"), str):
        raise BadRequest("message must be a string")
    if data.get("endTime") is not None and data.get("duration") is not None:
        raise BadRequest("EndTime and Duration are mutually exclusive")
    try:
        start = parse_iso(data.get("startTime")) or 0.0
        end = parse_iso(data.get("endTime")) if data.get("endTime") is not None else None
    except (TypeError, ValueError):
        raise BadRequest("startTime and endTime must be RFC 3339 timestamps") from None
    if data.get("duration") is not None:
        end = start + _go_duration(str(data["duration"]))
    backend.store.set_cluster_message(message=data["message"], start=start, end=end)
    return {}


async def delete_cluster_message(backend: Backend, request: web.Request) -> Json:
    _require_admin(request)
    backend.store.clear_cluster_message()
    return {}


async def master_config(backend: Backend, request: web.Request) -> Json:
    """GetMasterConfig: admins only (CanGetMasterConfig, basic authz), as on the master."""
    _require_admin(request, "user does not have permission")
    options = backend.options
    return {"config": {
        "cluster_name": STANDIN_CLUSTER_NAME, "standin": True, "scale": options.scale,
        "seed": options.seed, "slots": options.slots, "rbac": options.rbac,
        "db": options.db or ":memory:", "work_dir": str(backend.work_dir),
        "checkpoint_storage": {"type": "directory", "container_path": str(backend.work_dir)},
        "resource_manager": {"type": "agent", "default_compute_resource_pool": DEFAULT_POOL,
                             "default_aux_resource_pool": DEFAULT_POOL},
        "resource_pools": [{"pool_name": p.name, "description": p.description,
                            "task_container_defaults": p.task_container_defaults}
                           for p in backend.store.list_resource_pools()],
    }}


async def telemetry(backend: Backend, request: web.Request) -> Json:
    return {"enabled": False, "segmentKey": ""}


async def master_logs(backend: Backend, request: web.Request) -> web.StreamResponse:
    """Start-up facts as log entries; ``follow`` is not implemented (the stream ends)."""
    lines = [f"daist stand-in master {VERSION} serving {backend.url}",
             f"seeded scale {backend.options.scale} (seed {backend.options.seed}) in "
             f"{backend.seed_seconds:.2f}s", "this is not a real Determined master"]
    entries = [{"logEntry": {"id": i + 1, "timestamp": iso(backend.started_at), "message": text,
                             "level": "LOG_LEVEL_INFO"}} for i, text in enumerate(lines)]
    return await stream(request, page_of(request, len(entries)).cut(entries))


async def agents(backend: Backend, request: web.Request) -> Json:
    return paged(request, "agents", backend.store.list_agents())


def _pools(backend: Backend) -> list[Any]:
    pools = backend.store.list_resource_pools()
    for pool in pools:
        pool.master_url = backend.url
    return pools


async def resource_pools(backend: Backend, request: web.Request) -> Json:
    """By name, as the master sorts them; ``unbound`` keeps pools bound to no workspace."""
    pools = sorted(_pools(backend), key=lambda p: p.name)
    if q_bool(request, "unbound"):
        unbound = set(backend.store.unbound_pools())
        pools = [p for p in pools if p.name in unbound]
    return paged(request, "resourcePools", pools)


# -- pool bindings (api_resourcepool.go): the default pools are never bound; changing
# bindings is for admins; the master answers these failures as plain errors (500 / INTERNAL).
def _bindable_pool(name: str) -> str:
    """checkIfPoolIsDefault: the stand-in's default compute and aux pool is ``default``."""
    if name == DEFAULT_POOL:
        raise Internal(f"default resource pool {name} cannot be bound to any workspace")
    return name


async def _binding_workspaces(backend: Backend, request: web.Request) -> list[int]:
    """combineWorkspaceIDsAndNames, then canUserModifyWorkspaces."""
    data = await body_object(request)
    ids = [as_int(i, "workspaceIds") for i in data.get("workspaceIds") or []]
    names = [str(n) for n in data.get("workspaceNames") or []]
    if names:
        known = {w.name: w.id for w in backend.store.list_workspaces()}
        missing = [n for n in names if n not in known]
        if missing:
            raise Internal(f"the following workspaces do not exist: [{' '.join(missing)}]")
        ids += [known[n] for n in names]
    user = request[USER]
    if not user.admin:
        raise Internal("only admin privileged users can bind resource pool to a workspace")
    return sorted(set(ids))


async def bind_pool(backend: Backend, request: web.Request, resourcePoolName: str) -> Json:
    name = _bindable_pool(resourcePoolName)
    backend.store.bind_pool(name, await _binding_workspaces(backend, request))
    return {}


async def overwrite_pool_bindings(backend: Backend, request: web.Request,
                                  resourcePoolName: str) -> Json:
    name = _bindable_pool(resourcePoolName)
    backend.store.overwrite_pool_bindings(name, await _binding_workspaces(backend, request))
    return {}


async def unbind_pool(backend: Backend, request: web.Request, resourcePoolName: str) -> Json:
    backend.store.unbind_pool(resourcePoolName, await _binding_workspaces(backend, request))
    return {}


async def pool_bindings(backend: Backend, request: web.Request, resourcePoolName: str) -> Json:
    ids = backend.store.workspaces_bound_to(resourcePoolName)
    page = page_of(request, len(ids))
    return {"workspaceIds": page.cut(ids), "pagination": page.to_dict()}


async def workspace_pools(backend: Backend, request: web.Request, workspaceId: str) -> Json:
    """The pools bound to the workspace, then every unbound pool (ListRPsBoundToWorkspace)."""
    names = backend.store.pools_available_to(as_int(workspaceId, "workspaceId"))
    page = page_of(request, len(names))
    return {"resourcePools": page.cut(names), "pagination": page.to_dict()}


def _jobs(backend: Backend, pool: str | None) -> list[Json]:
    store = backend.store
    experiments, _ = store.list_experiments(ExperimentQuery(states=_LIVE_STATES), limit=-1)
    jobs = []
    for position, exp in enumerate(experiments):
        if pool and exp.resource_pool != pool:
            continue
        running = backend.trials.running_count(exp.id)
        jobs.append({
            "summary": {"state": "STATE_SCHEDULED" if running else "STATE_QUEUED",
                        "jobsAhead": position},
            "type": "TYPE_EXPERIMENT", "submissionTime": iso(exp.start_time),
            "username": exp.username, "userId": exp.user_id, "resourcePool": exp.resource_pool,
            "isPreemptible": True, "priority": 42, "weight": 1.0, "entityId": str(exp.id),
            "jobId": exp.job_id, "requestedSlots": len(exp.trial_ids), "allocatedSlots": running,
            "name": exp.name, "progress": exp.progress, "workspaceId": exp.workspace_id,
        })
    return jobs


async def job_queues(backend: Backend, request: web.Request) -> Json:
    jobs = _jobs(backend, request.query.get("resourcePool"))
    page = page_of(request, len(jobs))
    return {"jobs": page.cut(jobs), "pagination": page.to_dict()}


async def job_queues_v2(backend: Backend, request: web.Request) -> Json:
    jobs = [{"full": job, "limited": None}
            for job in _jobs(backend, request.query.get("resourcePool"))]
    page = page_of(request, len(jobs))
    return {"jobs": page.cut(jobs), "pagination": page.to_dict()}


async def job_queue_stats(backend: Backend, request: web.Request) -> Json:
    jobs = _jobs(backend, None)  # once, not once per pool
    results = []
    for pool in backend.store.list_resource_pools():
        states = [j["summary"]["state"] for j in jobs if j["resourcePool"] == pool.name]
        scheduled = states.count("STATE_SCHEDULED")
        results.append({"resourcePool": pool.name, "aggregates": [],
                        "stats": {"queuedCount": len(states) - scheduled,
                                  "scheduledCount": scheduled}})
    return {"results": results}


def _day(text: str | None, name: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(str(text))
    except ValueError:
        raise BadRequest(f"{name} must be a date like 2024-01-31, not {text!r}") from None


async def allocation_aggregated(backend: Backend, request: web.Request) -> Json:
    """Seconds of trial time per day (or month) from the trials' start/end times. Like
    grpc-gateway, takes the proto names (start_date, as the original daist sent) and the JSON
    names (startDate, as the SDK sends)."""
    query = request.query
    start = _day(query.get("start_date", query.get("startDate")), "start_date")
    end = _day(query.get("end_date", query.get("endDate")), "end_date")
    period = request.query.get("period") or "RESOURCE_ALLOCATION_AGGREGATION_PERIOD_DAILY"
    monthly = period == "RESOURCE_ALLOCATION_AGGREGATION_PERIOD_MONTHLY"
    bucket = "%Y-%m-01" if monthly else "%Y-%m-%d"
    low = _dt.datetime.combine(start, _dt.time(), _dt.timezone.utc).timestamp()
    high = _dt.datetime.combine(end, _dt.time(), _dt.timezone.utc).timestamp() + 86400
    rows = backend.store.db.execute(
        f"SELECT strftime('{bucket}', t.start_time, 'unixepoch') AS day, u.username,"
        " e.resource_pool, SUM(COALESCE(t.end_time, t.start_time) - t.start_time)"
        " FROM trials t JOIN experiments e ON e.id = t.experiment_id"
        " JOIN users u ON u.id = e.user_id WHERE t.start_time >= ? AND t.start_time < ?"
        " GROUP BY day, u.username, e.resource_pool ORDER BY day", (low, high)).fetchall()
    entries: dict[str, Json] = {}
    for day, username, pool, seconds in rows:
        entry = entries.setdefault(day, {
            "periodStart": day[:7] if monthly else day, "period": period, "seconds": 0.0,
            "byUsername": {}, "byExperimentLabel": {}, "byResourcePool": {}})
        entry["seconds"] += seconds
        entry["byUsername"][username] = entry["byUsername"].get(username, 0.0) + seconds
        entry["byResourcePool"][pool] = entry["byResourcePool"].get(pool, 0.0) + seconds
    return {"resourceEntries": list(entries.values())}

