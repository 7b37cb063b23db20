"""Trial code of daist's metric-latency test: uploaded as the experiment's model definition and run
as ``python3 model_def.py`` in every trial, on a real cluster or on the stand-in master.

Each trial sends ``num_batches`` training-metric reports of ``metric_count`` metrics, one at a
time (a closed loop: the next report starts once the previous one is readable), and measures per
report, on one monotonic clock:

- ``enqueue``: how long ``report_training_metrics`` took. The Core API only puts the report on a
  queue, so this says nothing about the master (it is what the original daist measured).
- ``write``: the HTTP round trip of the POST that carried the report, observed by a response hook
  on the requests session the Core API ships metrics with (what is sent is not changed).
- ``visible``: from the SDK call until a read through the trial-metrics API returned the report.
  Reading starts once the POST was answered, so ``visible >= write`` and ``visible >= enqueue``.

Visibility is polled on ``/api/v1/trials/time-series`` narrowed to this report's batch and one
metric, with the trial's own task token: its answer does not grow with the number of reports, as
the full ``trial_metrics`` stream would (that read is timed by the test itself, per level).

Latencies are reported back as validation metrics in chunks (lists of milliseconds, and each
report's send time in Unix seconds for the report's time axis), at least
every ``CHUNK_SECONDS`` so an interrupted level keeps most of its data, and small enough per
chunk for the master's message limits. Only the standard library, requests and determined are
imported: a cluster's image has no daist.
"""
from __future__ import annotations

import logging
import os
import random
import re
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

import determined as det
from determined import core
from determined.common.api import authentication, certs

CHUNK_REPORTS = 2048
CHUNK_SECONDS = 5.0
SHIPPER_THREAD = "MetricsShipperThread"
READ_PATH = "api/v1/trials/time-series"
_METRICS_POST = re.compile(r"/api/v1/trials/\d+/metrics$")
_STEPS = {str: re.compile(r'"stepsCompleted":\s*(\d+)'), bytes: re.compile(rb'"stepsCompleted":\s*(\d+)')}
_GROUP = {str: re.compile(r'"group":\s*"(\w+)"'), bytes: re.compile(rb'"group":\s*"(\w+)"')}
log = logging.getLogger("daist.metrics.trial")


class ProbeError(RuntimeError):
    """A report could not be measured (its POST failed or it never became readable)."""


@dataclass(frozen=True)
class Post:
    elapsed_s: float
    """requests' round trip: request sent until the response headers arrived (retries included)."""
    status: int
    text: str


class WriteProbe:
    """Sees every metric POST the Core API makes, keyed by (group, stepsCompleted)."""

    def __init__(self) -> None:
        self._posts: dict[tuple[str, int], Post] = {}
        self._answered = threading.Condition()

    @classmethod
    def attach(cls, context: core.Context) -> WriteProbe:
        http = getattr(getattr(context, "_session", None), "_http_session", None)
        if not isinstance(http, requests.Session):
            raise ProbeError("this determined version keeps no persistent requests session on "
                             "the Core API context: the write probe cannot observe metric POSTs")
        probe = cls()
        http.hooks["response"].append(probe.on_response)
        return probe

    def on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        try:  # runs on the shipper thread: it must never raise
            request = response.request
            if request.method != "POST" or not _METRICS_POST.search(request.path_url or ""):
                return
            body = request.body or b""
            steps = _STEPS[type(body)].search(body)
            group = _GROUP[type(body)].search(body)
            if steps is None or group is None:
                return
            name = group.group(1)
            key = (name.decode() if isinstance(name, bytes) else name, int(steps.group(1)))
            text = "" if response.status_code < 300 else response.text[:300]
            post = Post(response.elapsed.total_seconds(), response.status_code, text)
            with self._answered:
                self._posts[key] = post
                self._answered.notify_all()
        except Exception:  # a malformed body is not ours to judge; the report then times out
            log.debug("write probe could not read a response", exc_info=True)

    def wait(self, group: str, steps: int, *, deadline: float) -> Post:
        key = (group, steps)
        with self._answered:
            while key not in self._posts:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise ProbeError(f"the POST of {group} report {steps} was not answered in time")
                if not _shipper_alive():
                    raise ProbeError(f"the Core API's metrics thread stopped before the POST of "
                                     f"{group} report {steps} was answered (its error follows)")
                self._answered.wait(min(remaining, 0.25))
            post = self._posts.pop(key)
        if post.status >= 300:
            raise ProbeError(f"POST of {group} report {steps} answered HTTP {post.status}: "
                             f"{post.text}")
        return post


def _shipper_alive() -> bool:
    return any(t.name == SHIPPER_THREAD and t.is_alive() for t in threading.enumerate())


class ReadProbe:
    """Polls the master until a training report is readable, with the trial's task session."""

    def __init__(self, info: det.ClusterInfo) -> None:
        self.trial_id = info.trial.trial_id
        self.session = authentication.login_from_task(info.master_url,
                                                      certs.default_load(info.master_url))

    def __enter__(self) -> ReadProbe:
        self.session.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.session.close()

    def wait_visible(self, steps: int, *, name: str, deadline: float) -> float:
        """perf_counter time of the first answer that holds the report at ``steps``."""
        params = {"trialIds": [self.trial_id], "group": "training", "metricNames": [name],
                  "startBatches": steps, "endBatches": steps, "maxDatapoints": 10}
        pause = 0.001
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise ProbeError(f"training report {steps} was not readable in time")
            answer = self.session.get(READ_PATH, params=params, timeout=max(1, int(remaining + 1)))
            seen = time.perf_counter()
            if _holds(answer.json(), steps):
                return seen
            time.sleep(min(pause, max(0.0, deadline - seen)))
            pause = min(pause * 2, 0.05)


def _holds(body: dict[str, Any], steps: int) -> bool:
    for trial in body.get("trials") or []:
        for series in trial.get("metrics") or []:
            if series.get("group", "training") != "training":
                continue
            if any(int(point.get("batches", -1)) == steps for point in series.get("data") or []):
                return True
    return False


@dataclass
class Chunk:
    """Latencies of reports first_index, first_index+1, ...: collected in the trial (``add``),
    reported back as one validation report (``metrics``) and read back by the test
    (``from_metrics``)."""

    first_index: int
    enqueue_ms: list[float] = field(default_factory=list)
    write_ms: list[float] = field(default_factory=list)
    visible_ms: list[float] = field(default_factory=list)
    sent_unix: list[float | None] = field(default_factory=list)
    """When each report was sent (Unix seconds): the report charts' time axis; None for trials
    of a daist that did not report it."""
    span: tuple[float, float] = (0.0, 0.0)
    """From the first report's send to when the last was visible (Unix seconds)."""
    opened: float = field(default_factory=time.perf_counter, compare=False, repr=False)

    def add(self, *, enqueue: float, write: float, visible: float, start_unix: float) -> None:
        self.enqueue_ms.append(round(enqueue * 1000, 4))
        self.write_ms.append(round(write * 1000, 4))
        self.visible_ms.append(round(visible * 1000, 4))
        self.sent_unix.append(start_unix)
        self.span = (self.sent_unix[0] or start_unix, time.time())

    def due(self) -> bool:
        return len(self.visible_ms) >= CHUNK_REPORTS or \
            (bool(self.visible_ms) and time.perf_counter() - self.opened >= CHUNK_SECONDS)

    def metrics(self) -> dict[str, Any]:
        return {"first_index": self.first_index, "enqueue_ms": self.enqueue_ms,
                "write_ms": self.write_ms, "visible_ms": self.visible_ms,
                "sent_unix": self.sent_unix, "span": list(self.span),
                "visible_median_ms": statistics.median(self.visible_ms)}

    @classmethod
    def from_metrics(cls, metrics: dict[str, Any]) -> Chunk | None:
        """The chunk a trial reported as these validation metrics; None when they are not one
        of ours. Columns of different lengths: ValueError."""
        try:
            chunk = cls(first_index=int(metrics["first_index"]),
                        enqueue_ms=[float(v) for v in metrics["enqueue_ms"]],
                        write_ms=[float(v) for v in metrics["write_ms"]],
                        visible_ms=[float(v) for v in metrics["visible_ms"]],
                        span=(float(metrics["span"][0]), float(metrics["span"][1])),
                        sent_unix=[float(v) for v in metrics["sent_unix"]]
                        if "sent_unix" in metrics else [None] * len(metrics["visible_ms"]))
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        if not len(chunk.enqueue_ms) == len(chunk.write_ms) == len(chunk.visible_ms) \
                == len(chunk.sent_unix):
            raise ValueError(f"a latency chunk from index {chunk.first_index} has columns of "
                             "different lengths")
        return chunk


@dataclass(frozen=True)
class Plan:
    num_batches: int
    metric_count: int
    visible_timeout: float

    @classmethod
    def from_hparams(cls, hparams: dict[str, Any]) -> Plan:
        return cls(num_batches=int(hparams["num_batches"]),
                   metric_count=int(hparams["metric_count"]),
                   visible_timeout=float(hparams.get("visible_timeout", 60)))


def measure(context: core.Context, *, plan: Plan, writes: WriteProbe, reads: ReadProbe) -> int:
    """Send and time every report; returns how many were measured."""
    rng = random.Random(reads.trial_id)
    names = [str(k) for k in range(plan.metric_count)]
    chunk = Chunk(first_index=0)
    done = 0
    for index in range(plan.num_batches):
        if context.preempt.should_preempt():
            log.info("preempted after %d reports", done)
            break
        steps = index + 1
        metrics = {name: rng.gauss(0.0, 1.0) for name in names}
        start_unix = time.time()
        started = time.perf_counter()
        context.train.report_training_metrics(steps_completed=steps, metrics=metrics)
        queued = time.perf_counter()
        deadline = started + plan.visible_timeout
        post = writes.wait("training", steps, deadline=deadline)
        seen = reads.wait_visible(steps, name=names[0], deadline=deadline)
        chunk.add(enqueue=queued - started, write=post.elapsed_s, visible=seen - started,
                  start_unix=start_unix)
        done += 1
        if chunk.due():
            _report_chunk(context, chunk, steps=steps, writes=writes, plan=plan)
            chunk = Chunk(first_index=done)
    if chunk.visible_ms:
        _report_chunk(context, chunk, steps=done, writes=writes, plan=plan)
    return done


def _report_chunk(context: core.Context, chunk: Chunk, *, steps: int, writes: WriteProbe,
                  plan: Plan) -> None:
    """Report the chunk and wait for its POST, so it never queues ahead of a measured report."""
    context.train.report_validation_metrics(steps_completed=steps, metrics=chunk.metrics())
    writes.wait("validation", steps, deadline=time.perf_counter() + plan.visible_timeout)


def main() -> int:
    # Only our own records: the Core API logs every report with all its metrics at INFO, which
    # would flood the task logs (and load the master) as the payload grows.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    info = det.get_cluster_info()
    if info is None or info.task_type != "TRIAL":
        print("model_def.py runs as a Determined trial (no trial ClusterInfo found)", file=sys.stderr)
        return 2
    plan = Plan.from_hparams(info.trial.hparams)
    log.info("trial %d: %d reports of %d metrics, one at a time", info.trial.trial_id,
             plan.num_batches, plan.metric_count)
    with core.init(tensorboard_mode=core.TensorboardMode.MANUAL) as context:
        try:
            writes = WriteProbe.attach(context)
            with ReadProbe(info) as reads:
                done = measure(context, plan=plan, writes=writes, reads=reads)
        except Exception as exc:
            _abort(exc)
    log.info("trial %d: measured %d reports", info.trial.trial_id, done)
    return 0


def _abort(exc: Exception) -> None:
    """Exit at once: leaving the Core API context would wait forever for a POST a hung master
    never answers (its metrics drain has no time limit)."""
    log.error("metric probe failed: %s: %s", type(exc).__name__, exc,
              exc_info=not isinstance(exc, ProbeError))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


if __name__ == "__main__":
    sys.exit(main())
