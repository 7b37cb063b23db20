"""Control handlers under /standin/ (never faulted): health, counts, reset, faults, token
expiry and preemption.

Reading (health, counts, the fault rules) is public, like ``/info``; everything that changes
the stand-in's behaviour takes an admin's token, so another local user cannot reset the data,
inject faults into a run or log everybody out.
"""
from __future__ import annotations

import os
from typing import Any

from aiohttp import web

from daist.standin.http.auth import USER, require_admin
from daist.standin.backend import STANDIN_CLUSTER_NAME, VERSION, Backend
from daist.standin.common.errors import BadRequest, NotFound
from daist.standin.faults.spec import FaultSpecError
from daist.standin.http.reqs import body

Json = dict[str, Any]
_CONTROL = "only admin privileged users can control the stand-in"


def _admin(request: web.Request) -> None:
    require_admin(request[USER], _CONTROL)


async def health(backend: Backend, request: web.Request) -> Json:
    return {"ok": True, "clusterName": STANDIN_CLUSTER_NAME, "version": VERSION,
            "pid": os.getpid(), "url": backend.url, "scale": backend.options.scale,
            "seed": backend.options.seed, "seedSeconds": round(backend.seed_seconds, 3),
            "runningTrials": backend.trials.running_count()}


async def counts(backend: Backend, request: web.Request) -> Json:
    return backend.store.counts()


async def reset(backend: Backend, request: web.Request) -> Json:
    _admin(request)
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
    _admin(request)
    try:
        backend.faults.replace(_rules_of(await body(request)))
    except FaultSpecError as exc:
        raise BadRequest(str(exc)) from None
    return {"rules": backend.faults.rules()}


async def post_fault(backend: Backend, request: web.Request) -> Json:
    _admin(request)
    try:
        backend.faults.add(await body(request))
    except FaultSpecError as exc:
        raise BadRequest(str(exc)) from None
    return {"rules": backend.faults.rules()}


async def delete_faults(backend: Backend, request: web.Request) -> Json:
    _admin(request)
    backend.faults.clear()
    return {"rules": []}


async def expire_tokens(backend: Backend, request: web.Request) -> Json:
    _admin(request)
    return {"expired": backend.store.expire_user_tokens()}


async def preempt(backend: Backend, request: web.Request, allocationId: str) -> Json:
    _admin(request)
    if not backend.store.allocation_exists(allocationId):
        raise NotFound(f"allocation {allocationId} not found")
    backend.preemption.preempt(allocationId)
    return {"ok": True}
