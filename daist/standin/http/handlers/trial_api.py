"""Handlers the Core API calls from inside a trial: metrics, progress, checkpoints,
preemption long-polls and run metadata."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.common.confine import checkpoint_uuid
from daist.standin.common.errors import BadRequest, NotFound
from daist.standin.trials.preemption import MAX_WAIT_S
from daist.standin.http.reqs import as_int, body_object

Json = dict[str, Any]
STORAGE_ID = 1  # the one checkpoint storage every trial reports into


async def run_prepare(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    backend.store.require_trial(as_int(data.get("runId"), "runId"))
    return {"storageId": STORAGE_ID}


async def _report(backend: Backend, request: web.Request, trial_id: str, group: str | None) -> Json:
    data = await body_object(request)
    metrics = data.get("metrics")
    if not isinstance(metrics, dict):
        raise BadRequest("metrics must be an object")
    tid = as_int(trial_id, "trialId")
    if metrics.get("trialId") not in (None, tid) and str(metrics.get("trialId")) != str(tid):
        raise BadRequest("metrics.trialId does not match the path")
    backend.store.add_metrics(tid, group=group or str(data.get("group") or ""), body=metrics)
    return {}


async def report_metrics(backend: Backend, request: web.Request, trialId: str) -> Json:
    return await _report(backend, request, trialId, None)


async def report_training(backend: Backend, request: web.Request, trialId: str) -> Json:
    return await _report(backend, request, trialId, "training")


async def report_validation(backend: Backend, request: web.Request, trialId: str) -> Json:
    return await _report(backend, request, trialId, "validation")


async def report_progress(backend: Backend, request: web.Request, trialId: str) -> Json:
    data = await body_object(request)
    try:
        progress = float(data.get("progress"))
    except (TypeError, ValueError):
        raise BadRequest("progress must be a number") from None
    backend.store.set_trial_progress(as_int(trialId, "trialId"), progress)
    return {}


async def runner_metadata(backend: Backend, request: web.Request, trialId: str) -> Json:
    data = await body_object(request)
    tid = as_int(trialId, "trialId")
    backend.store.require_trial(tid)
    backend.store.update_trial(tid, runner_state=str(data.get("state") or ""))
    return {}


async def early_exit(backend: Backend, request: web.Request, trialId: str) -> Json:
    data = await body_object(request)
    backend.store.set_early_exit(as_int(trialId, "trialId"),
                                 str(data.get("reason") or "EXITED_REASON_UNSPECIFIED"))
    return {}


def _allocation(backend: Backend, allocation_id: str) -> None:
    if not backend.store.allocation_exists(allocation_id):
        raise NotFound(f"allocation {allocation_id} not found")


async def preemption_signal(backend: Backend, request: web.Request, allocationId: str) -> Json:
    """Held for up to ``timeout_seconds`` (or ``timeoutSeconds``), at most 60 s."""
    _allocation(backend, allocationId)
    raw = request.query.get("timeout_seconds") or request.query.get("timeoutSeconds") or "0"
    try:
        timeout = min(max(float(raw), 0.0), MAX_WAIT_S)
    except ValueError:
        raise BadRequest("timeout_seconds must be a number") from None
    return {"preempt": await backend.preemption.wait(allocationId, timeout)}


async def pending_preemption(backend: Backend, request: web.Request, allocationId: str) -> Json:
    """Accepted and forgotten: nothing in the stand-in waits on a pending or acked signal."""
    _allocation(backend, allocationId)
    return {}


ack_preemption = pending_preemption


async def report_checkpoint(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    data["uuid"] = checkpoint_uuid(data.get("uuid") or "")  # it names a directory later
    task_id = str(data.get("taskId") or "")
    trial = backend.store.trial_for_task(task_id) if task_id else None
    backend.store.add_checkpoint(data, trial_id=None if trial is None else trial.id)
    return {}


async def patch_checkpoints(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    patches = data.get("checkpoints")
    if not isinstance(patches, list):
        raise BadRequest("checkpoints must be a list")
    backend.store.patch_checkpoints(patches)
    return {}


async def get_run_metadata(backend: Backend, request: web.Request, runId: str) -> Json:
    return {"metadata": backend.store.get_run_metadata(as_int(runId, "runId"))}


async def post_run_metadata(backend: Backend, request: web.Request, runId: str) -> Json:
    data = await body_object(request)
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        raise BadRequest("metadata must be an object")
    return {"metadata": backend.store.post_run_metadata(as_int(runId, "runId"), metadata)}


async def custom_webhook(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    backend.store.webhook_custom(as_int(data.get("experimentId"), "experimentId"),
                                 as_int(data.get("trialId") or 0, "trialId"),
                                 data.get("data") or {})
    return {}


async def kill_trial(backend: Backend, request: web.Request, id: str) -> Json:
    await backend.trials.kill_trial(as_int(id, "id"))
    return {}
