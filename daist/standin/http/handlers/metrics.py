"""Handlers: trial reads and every metric read path (streams, workloads, time series, ...)."""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.state.checkpoint_order import ordered_from_query
from daist.standin.common.confine import checkpoint_uuid
from daist.standin.common.errors import BadRequest, NotFound
from daist.standin.state.exp_entities import TERMINAL_STATES
from daist.standin.http.reqs import (as_int, body_object, descending, page_of, paged, q_int, q_ints,
                                     q_strs, stream)
from daist.standin.state.summary import is_better
from daist.standin.common.wire import iso

Json = dict[str, Any]
MAX_STREAM_S = 3600.0


async def get_trial(backend: Backend, request: web.Request, trialId: str) -> Json:
    return {"trial": backend.store.get_trial(as_int(trialId, "trialId")).to_dict()}


async def trial_checkpoints(backend: Backend, request: web.Request, id: str) -> Json:
    trial = backend.store.get_trial(as_int(id, "id"))
    checkpoints = backend.store.list_checkpoints(trial_ids=[trial.id], states=q_strs(request, "states"))
    return paged(request, "checkpoints", ordered_from_query(checkpoints, request.query, None))


def _trial_ids(request: web.Request) -> list[int]:
    ids = q_ints(request, "trialIds")
    if not ids:
        raise BadRequest("trialIds is required")
    return ids


def _metric_stream(group: str | None) -> Any:
    async def handler(backend: Backend, request: web.Request) -> web.StreamResponse:
        wanted = group if group is not None else request.query.get("group")
        if not wanted:
            raise BadRequest("group is required")
        ids = _trial_ids(request)
        for trial_id in ids:
            backend.store.require_trial(trial_id)
        chunks = backend.store.iter_metrics(ids, group=wanted)
        return await stream(request, ({"metrics": [r.to_dict() for r in chunk]} for chunk in chunks))

    return handler


trial_metrics = _metric_stream(None)
training_metrics = _metric_stream("training")
validation_metrics = _metric_stream("validation")


async def workloads(backend: Backend, request: web.Request, trialId: str) -> Json:
    """Training, validation and checkpoint workloads by step; ``filter`` FILTER_OPTION_*
    narrows to one kind. metricType/group/sortKey are not implemented."""
    store = backend.store
    trial = store.get_trial(as_int(trialId, "trialId"))
    kind = request.query.get("filter") or "FILTER_OPTION_UNSPECIFIED"
    items: list[tuple[int, int, Json]] = []
    for chunk in store.iter_metrics([trial.id], group=None):
        for report in chunk:
            key = "validation" if report.group == "validation" else "training"
            if kind == "FILTER_OPTION_VALIDATION" and key != "validation":
                continue
            if kind in ("FILTER_OPTION_CHECKPOINT", "FILTER_OPTION_CHECKPOINT_OR_VALIDATION") \
                    and key == "training":
                continue
            items.append((report.steps, report.id, {key: report.to_workload()}))
    if kind != "FILTER_OPTION_VALIDATION":
        for checkpoint in store.list_checkpoints(trial_ids=[trial.id]):
            items.append((checkpoint.steps, 1 << 62, {"checkpoint": checkpoint.to_workload()}))
    items.sort(key=lambda x: (x[0], x[1]), reverse=descending(request))
    page = page_of(request, len(items))
    return {"workloads": [w for _, _, w in page.cut(items)], "pagination": page.to_dict()}


async def time_series(backend: Backend, request: web.Request) -> Json:
    """Per trial and group the reports between startBatches and endBatches, thinned to
    maxDatapoints; metricNames narrows the values. timeSeriesFilter is not implemented."""
    store = backend.store
    metric_type = request.query.get("metricType") or "METRIC_TYPE_UNSPECIFIED"
    group = request.query.get("group") or {"METRIC_TYPE_TRAINING": "training",
                                           "METRIC_TYPE_VALIDATION": "validation"}.get(metric_type)
    names = set(q_strs(request, "metricNames"))
    low = q_int(request, "startBatches", 0) or 0
    high = q_int(request, "endBatches", 0) or (1 << 62)
    most = q_int(request, "maxDatapoints", 0) or 1000
    out = []
    for trial_id in _trial_ids(request):
        trial = store.get_trial(trial_id)
        series: dict[str, list[Json]] = {}
        for chunk in store.iter_metrics([trial_id], group=group, steps=(low, high)):
            for report in chunk:
                values = {k: v for k, v in report.values.items() if not names or k in names}
                series.setdefault(report.group, []).append(
                    {"batches": report.steps, "values": values, "time": iso(report.report_time),
                     "epoch": None})
        metrics = []
        for name, points in series.items():
            step = max(1, -(-len(points) // most))
            kind = {"training": "METRIC_TYPE_TRAINING",
                    "validation": "METRIC_TYPE_VALIDATION"}.get(name, "METRIC_TYPE_UNSPECIFIED")
            metrics.append({"type": kind, "group": name, "data": points[::step]})
        out.append({"trial": trial.to_dict(), "metrics": metrics})
    return {"trials": out}


async def profiler_metrics(backend: Backend, request: web.Request,
                           trialId: str) -> web.StreamResponse:
    """The stand-in collects no profiler samples: one empty batch for the asked series."""
    trial = backend.store.get_trial(as_int(trialId, "trialId"))
    labels = {"trialId": trial.id, "name": request.query.get("labels.name") or "cpu_util_simple",
              "agentId": request.query.get("labels.agentId") or "standin-agent", "gpuUuid": "",
              "metricType": request.query.get("labels.metricType") or "PROFILER_METRIC_TYPE_SYSTEM"}
    return await stream(request, [{"batch": {"values": [], "batches": [], "timestamps": [],
                                             "labels": labels}}])


async def profiler_series(backend: Backend, request: web.Request,
                          trialId: str) -> web.StreamResponse:
    backend.store.require_trial(as_int(trialId, "trialId"))
    return await stream(request, [{"labels": []}])


async def get_checkpoint(backend: Backend, request: web.Request, checkpointUuid: str) -> Json:
    return {"checkpoint": backend.store.get_checkpoint(checkpointUuid).to_dict()}


async def post_checkpoint_metadata(backend: Backend, request: web.Request,
                                   checkpointUuid: str) -> Json:
    """The request's ``checkpoint.metadata`` replaces the checkpoint's (as the master does;
    the SDK's add/remove_metadata send the whole new map)."""
    data = await body_object(request)
    metadata = (data.get("checkpoint") or {}).get("metadata") if isinstance(
        data.get("checkpoint"), dict) else None
    if not isinstance(metadata, dict):
        raise BadRequest("checkpoint.metadata must be an object")
    backend.store.set_checkpoint_metadata(checkpoint_uuid(checkpointUuid), metadata)
    return {"checkpoint": backend.store.get_checkpoint(checkpointUuid).to_dict()}


async def checkpoint_metrics(backend: Backend, request: web.Request, checkpointUuid: str) -> Json:
    """Inference metrics linked through trial source info; the stand-in records none."""
    backend.store.get_checkpoint(checkpointUuid)
    return {"metrics": []}


def _validation_history(backend: Backend, experiment_id: int) -> tuple[Any, list[Json]]:
    """The experiment and each validation that bettered its searcher metric, oldest first."""
    exp = backend.store.get_experiment(experiment_id)
    reports = [r for chunk in backend.store.iter_metrics(exp.trial_ids, group="validation")
               for r in chunk] if exp.trial_ids else []
    smaller = bool(exp.config.get("searcher", {}).get("smaller_is_better", True))
    history, best = [], None
    for report in sorted(reports, key=lambda r: r.report_time):
        value = report.values.get(exp.searcher_metric)
        if is_better(value, best, smaller_is_better=smaller):
            best = value
            history.append({"trialId": report.trial_id, "endTime": iso(report.report_time),
                            "searcherMetric": value})
    return exp, history


async def best_validation(backend: Backend, request: web.Request, experimentId: str) -> Json:
    exp, history = _validation_history(backend, as_int(experimentId, "experimentId"))
    if not history:
        raise NotFound(f"no validation metric {exp.searcher_metric!r} for experiment {exp.id}")
    return {"metric": history[-1]["searcherMetric"]}


async def validation_history(backend: Backend, request: web.Request, experimentId: str) -> Json:
    _, history = _validation_history(backend, as_int(experimentId, "experimentId"))
    return {"validationHistory": history}


async def metric_names(backend: Backend, request: web.Request) -> web.StreamResponse:
    """One line per ``periodSeconds`` while any experiment is active; one line otherwise."""
    store = backend.store
    ids = q_ints(request, "ids")
    if not ids:
        raise BadRequest("ids is required")
    period = max(float(q_int(request, "periodSeconds", 30) or 30), 1.0)

    async def lines() -> AsyncIterator[Json]:
        waited = 0.0
        while True:
            experiments = [store.get_experiment(i) for i in ids]
            trial_ids = [t for e in experiments for t in e.trial_ids]
            names = store.metric_names(trial_ids) if trial_ids else {}
            yield {"searcherMetrics": sorted({e.searcher_metric for e in experiments}),
                   "trainingMetrics": sorted(names.get("training", ())),
                   "validationMetrics": sorted(names.get("validation", ())),
                   "metricNames": [{"group": g, "name": n}
                                   for g in sorted(names) for n in sorted(names[g])]}
            if all(e.state in TERMINAL_STATES for e in experiments) or waited > MAX_STREAM_S \
                    or backend.stopping.is_set():
                return
            await asyncio.sleep(period)
            waited += period

    return await stream(request, lines())
