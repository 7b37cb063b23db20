"""Admin handlers under /standin/ (no auth, never faulted): health, counts, reset, faults,
token expiry and preemption."""
from __future__ import annotations

import os
from typing import Any

from aiohttp import web

from daist.standin.backend import STANDIN_CLUSTER_NAME, VERSION, Backend
from daist.standin.errors import BadRequest, NotFound
from daist.standin.faultspec import FaultSpecError
from daist.standin.reqs import body

Json = dict[str, Any]


async def health(backend: Backend, request: web.Request) -> Json:
    return {"ok": True, "clusterName": STANDIN_CLUSTER_NAME, "version": VERSION,
            "pid": os.getpid(), "url": backend.url, "scale": backend.options.scale,
            "seed": backend.options.seed, "seedSeconds": round(backend.seed_seconds, 3),
            "runningTrials": backend.trials.running_count()}


async def counts(backend: Backend, request: web.Request) -> Json:
    return backend.store.counts()


async def reset(backend: Backend, request: web.Request) -> Json:
    await backend.reset()
    return {"ok": True, "seedSeconds": round(backend.seed_seconds, 3)}


async def get_faults(backend: Backend, request: web.Request) -> Json:
    return {"rules": backend.faults.rules()}


def _rules_of(data: Any) -> list[Any]:
    rules = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(rules, list):
        raise BadRequest("send a list of rules or {\"rules\": [...]}")
    return rules


async def put_faults(backend: Backend, request: web.Request) -> Json:
    try:
        backend.faults.replace(_rules_of(await body(request)))
    except FaultSpecError as exc:
        raise BadRequest(str(exc)) from None
    return {"rules": backend.faults.rules()}


async def post_fault(backend: Backend, request: web.Request) -> Json:
    try:
        backend.faults.add(await body(request))
    except FaultSpecError as exc:
        raise BadRequest(str(exc)) from None
    return {"rules": backend.faults.rules()}


async def delete_faults(backend: Backend, request: web.Request) -> Json:
    backend.faults.clear()
    return {"rules": []}


async def expire_tokens(backend: Backend, request: web.Request) -> Json:
    return {"expired": backend.store.expire_user_tokens()}


async def preempt(backend: Backend, request: web.Request, allocationId: str) -> Json:
    if not backend.store.allocation_exists(allocationId):
        raise NotFound(f"allocation {allocationId} not found")
    backend.preemption.preempt(allocationId)
    return {"ok": True}
