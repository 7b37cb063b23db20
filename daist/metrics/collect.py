"""Turn what the trials reported (latency chunks in their validation metrics) into a
``LatencySeries``, and describe a failed experiment in one message."""
from __future__ import annotations

import re

from daist.framework.errors import TargetError
from daist.metrics.cluster import Cluster, TrialInfo
from daist.metrics.expconf import Level
from daist.models.metric_latency import LatencySeries, Observation

LOG_TAIL_LINES = 12
_ERROR_LINE = re.compile(r"Error|Exception|error|failed|Traceback")


def collect_series(cluster: Cluster, *, experiment_id: int, level: Level, axis: str,
                   complete: bool, timeout: float | None = None,
                   trials: list[TrialInfo] | None = None) -> LatencySeries:
    """Every observation the experiment's trials reported. ``complete=False`` marks a level cut
    short; ``timeout`` bounds each read (cleanup after a failure or an interrupt); ``trials``:
    the finished experiment's trials when the caller has read them already."""
    trials = trials if trials is not None else cluster.trials(experiment_id)
    observations: list[Observation] = []
    spans: dict[int, list[float]] = {}
    for trial in trials:
        chunks = cluster.chunks(trial.id, timeout=timeout)
        for chunk in chunks:
            columns = zip(chunk.enqueue_ms, chunk.write_ms, chunk.visible_ms, chunk.sent_unix)
            observations += [Observation(trial.id, chunk.first_index + i, e, w, v, sent)
                             for i, (e, w, v, sent) in enumerate(columns)]
        if chunks:
            spans[trial.id] = [min(c.span[0] for c in chunks), max(c.span[1] for c in chunks)]
    return LatencySeries(level=getattr(level, axis), concurrency=level.concurrency,
                         metric_count=level.metric_count, num_batches=level.num_batches,
                         experiment_id=experiment_id, complete=complete,
                         trial_ids=[t.id for t in trials], spans=spans, observations=observations)


def failure_message(cluster: Cluster, *, experiment_id: int, headline: str,
                    trials: list[TrialInfo] | None = None) -> str:
    """``headline``; every trial's state; the failing trial's last error line, then its log
    tail. The most useful facts come first: the manifest keeps only the first 500 characters."""
    try:
        trials = trials if trials is not None else cluster.trials(experiment_id)
    except TargetError as exc:
        return f"{headline}; the trial states could not be read: {exc}"
    states = ", ".join(f"trial {t.id} {t.state}" for t in trials) or "no trials"
    failing = next((t for t in trials if t.state == "ERROR"), None) or \
        next((t for t in trials if t.state != "COMPLETED"), None)
    if failing is None:
        return f"{headline}; {states}"
    try:
        tail = cluster.log_tail(failing.id, lines=LOG_TAIL_LINES)
    except TargetError as exc:
        return f"{headline}; {states}; the log of trial {failing.id} could not be read: {exc}"
    errors = [line for line in tail if _ERROR_LINE.search(line)]
    last_error = errors[-1].strip() if errors else "(no error line in its log tail)"
    body = "\n".join(f"  {line}" for line in tail) or "  (empty log)"
    return (f"{headline}; {states}; trial {failing.id}: {last_error}\n"
            f"log tail of trial {failing.id}:\n{body}")
