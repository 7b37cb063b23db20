"""BENCHMARK REFERENCE ONLY: the metric tests' unmanaged generator as it was before issue 27 (a
multiprocessing pool of asyncio processes), kept so that benchmarks/metrics_generator.py can
measure it beside its successor (daist.metrics.trial_user on daist.engine) in the same run.
daist itself no longer uses it. The original module follows, less the level's setup and
cleanup (the benchmark's target needs neither) and the HTTP helpers it shares with
daist.metrics.unmanaged.

Unmanaged mode of the metric-latency test: one unmanaged (detached-mode) experiment per level
whose trials are driven from this machine, many per process, with no slot on the cluster.

The SDK's ``core_v2`` context runs one trial per process (a metrics thread, a heartbeat thread
and a log shipper each, on a blocking requests session), which would need 1,000 processes for
1,000 trials. So each generator process runs its trials as asyncio tasks on one aiohttp session
and sends the same REST calls ``core_v2`` makes, with bodies built by the SDK's own ``bindings``
objects: ``POST /api/v1/experiments`` (unmanaged), ``POST /api/v1/trials``,
``POST /api/v1/trials/{id}/start``, ``POST /api/v1/trials/{id}/metrics`` and the heartbeat's
``PATCH /api/v1/trials/{id}`` with the final state.

Each trial sends its reports one at a time and times, per report, as the managed trial code
does: ``enqueue`` (building and serializing the report), ``write`` (the POST round trip) and
``visible`` (from the start until ``/api/v1/trials/time-series`` returns it). The latencies go
back as validation-metric chunks of the same shape, so the managed mode's collection reads both.
The processes count the reports the master acknowledged in one shared counter, which the test's
process shows as the level's progress.

Every generator process records its CPU over the measured window; at >= 80 % of one core the
figures show the generator's limit, and the level is marked invalid.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import queue
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from daist.metrics.unmanaged import JSON_HEADERS, _call, _session  # shared HTTP helpers

SATURATED_CPU_PERCENT = 80.0  # the load tests' generator limit at the time
START_TIMEOUT_S = 30.0  # generator processes must all be ready within this


class GeneratorError(RuntimeError):
    """A level could not be set up or driven (names the call that failed)."""


@dataclass(frozen=True)
class TrialRun:
    trial_id: int
    run_id: int


@dataclass(frozen=True)
class Plan:
    num_batches: int
    metric_count: int
    visible_timeout: float


@dataclass
class GeneratorUsage:
    """One generator process over its measured window."""

    pid: int
    trials: int
    cpu_s: float
    wall_s: float
    errors: list[str] = field(default_factory=list)

    @property
    def cpu_percent(self) -> float:
        return 100.0 * self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def saturated(self) -> bool:
        return self.cpu_percent >= SATURATED_CPU_PERCENT

    def describe(self) -> str:
        return (f"process {self.pid}: {self.trials} trials, {self.cpu_percent:.0f}% of a core "
                f"over {self.wall_s:.1f} s")


# -- the generator processes -------------------------------------------------------------------
def split(runs: list[TrialRun], processes: int) -> list[list[TrialRun]]:
    """Round-robin over at most ``processes`` non-empty groups."""
    count = max(1, min(processes, len(runs)))
    return [runs[i::count] for i in range(count)]


def drive(url: str, token: str, runs: list[TrialRun], plan: Plan, *, processes: int,
          timeout: float, on_progress: Callable[[int], None] = lambda sent: None,
          ) -> list[GeneratorUsage]:
    """Drive every trial to its end in ``processes`` generator processes, started together;
    ``on_progress`` gets the reports the master acknowledged so far, about once a second and
    once at the end. Raises ``GeneratorError`` when a process does not report within
    ``timeout`` seconds."""
    context = multiprocessing.get_context("spawn")  # no inherited threads or sockets
    groups = split(runs, processes)
    barrier = context.Barrier(len(groups))
    results = context.Queue()
    sent = context.Value("q", 0)  # reports written, counted by every generator process
    workers = [context.Process(target=_worker, name="daist-metric-generator", daemon=True,
                               args=(url, token, group, plan, barrier, results, sent))
               for group in groups]
    with _without_secrets():  # a spawned child copies os.environ: it needs the token only
        for worker in workers:
            worker.start()
    usage: list[GeneratorUsage] = []
    deadline = time.monotonic() + timeout + START_TIMEOUT_S
    try:
        while len(usage) < len(workers):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise GeneratorError(f"the generator processes did not finish within "
                                     f"{timeout:g} s")
            on_progress(sent.value)
            try:
                usage.append(GeneratorUsage(**results.get(timeout=min(remaining, 1.0))))
            except queue.Empty:  # none finished this second: are they all still alive?
                dead = [w for w in workers if w.exitcode not in (None, 0)]
                if dead:
                    raise GeneratorError(f"a generator process exited with status "
                                         f"{dead[0].exitcode}") from None
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=5)
        results.close()
    on_progress(sent.value)
    return usage


SECRET_VARIABLES = ("DET_PASSWORD", "PERF_RESULT_DB_PASS", "PGPASSWORD")


@contextlib.contextmanager
def _without_secrets() -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in SECRET_VARIABLES if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _worker(url: str, token: str, runs: list[TrialRun], plan: Plan, barrier: Any,
            results: Any, sent: Any) -> None:
    barrier.wait(timeout=START_TIMEOUT_S)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    errors = asyncio.run(_drive_all(url, token, runs, plan, sent))
    results.put({"pid": os.getpid(), "trials": len(runs), "errors": errors,
                 "cpu_s": time.process_time() - cpu0, "wall_s": time.perf_counter() - wall0})


async def _drive_all(url: str, token: str, runs: list[TrialRun], plan: Plan,
                     sent: Any) -> list[str]:
    # One connection per trial, as each detached trial has its own session: a smaller pool
    # would queue reports inside the generator and count the wait as server time.
    async with _session(token, len(runs)) as http:
        outcomes = await asyncio.gather(*(_trial(http, url, run, plan, sent) for run in runs),
                                        return_exceptions=True)
    return [f"trial {run.trial_id}: {outcome}" for run, outcome in zip(runs, outcomes)
            if isinstance(outcome, BaseException)]


async def _trial(http: Any, url: str, run: TrialRun, plan: Plan, sent: Any) -> None:
    from determined.common.api import bindings

    from daist.metrics.model_def import Chunk

    state = bindings.trialv1State.ERROR
    try:
        await _report_all(http, url, run, plan, Chunk, sent)
        state = bindings.trialv1State.COMPLETED
    finally:
        body = bindings.v1PatchTrialRequest(trialId=run.trial_id, state=state)
        await _call(http, "PATCH", f"{url}/api/v1/trials/{run.trial_id}",
                    f"end trial {run.trial_id}", body.to_json(True))


def _metrics_body(run: TrialRun, *, steps: int, group: str, metrics: dict[str, Any]) -> str:
    from determined.common.api import bindings

    report = bindings.v1TrialMetrics(metrics=bindings.v1Metrics(avgMetrics=metrics),
                                     trialId=run.trial_id, stepsCompleted=steps,
                                     trialRunId=run.run_id)
    return json.dumps(bindings.v1ReportTrialMetricsRequest(metrics=report, group=group)
                      .to_json(True))


async def _post_metrics(http: Any, url: str, run: TrialRun, body: str, what: str) -> None:
    async with http.post(f"{url}/api/v1/trials/{run.trial_id}/metrics", data=body,
                         headers=JSON_HEADERS) as answer:
        text = await answer.text()
        if answer.status >= 300:
            raise GeneratorError(f"POST of {what} answered HTTP {answer.status}: {text[:300]}")


async def _report_all(http: Any, url: str, run: TrialRun, plan: Plan, chunk_type: Any,
                      sent: Any) -> None:
    rng = random.Random(run.trial_id)
    names = [str(k) for k in range(plan.metric_count)]
    chunk = chunk_type(first_index=0)
    done = 0
    for index in range(plan.num_batches):
        steps = index + 1
        start_unix = time.time()
        started = time.perf_counter()
        body = _metrics_body(run, steps=steps, group="training",
                             metrics={name: rng.gauss(0.0, 1.0) for name in names})
        queued = time.perf_counter()
        await _post_metrics(http, url, run, body, f"training report {steps}")
        written = time.perf_counter()
        with sent.get_lock():
            sent.value += 1
        seen = await _wait_visible(http, url, run, steps, name=names[0],
                                   deadline=started + plan.visible_timeout)
        chunk.add(enqueue=queued - started, write=written - queued, visible=seen - started,
                  start_unix=start_unix)
        done += 1
        if chunk.due() or done == plan.num_batches:
            body = _metrics_body(run, steps=steps, group="validation", metrics=chunk.metrics())
            await _post_metrics(http, url, run, body, f"latency chunk at {steps}")
            chunk = chunk_type(first_index=done)


async def _wait_visible(http: Any, url: str, run: TrialRun, steps: int, *, name: str,
                        deadline: float) -> float:
    from daist.metrics.model_def import _holds

    params = [("trialIds", str(run.trial_id)), ("group", "training"), ("metricNames", name),
              ("startBatches", str(steps)), ("endBatches", str(steps)), ("maxDatapoints", "10")]
    pause = 0.001
    while True:
        if time.perf_counter() >= deadline:
            raise GeneratorError(f"training report {steps} was not readable in time")
        body = await _call(http, "GET", f"{url}/api/v1/trials/time-series",
                           f"read training report {steps}", params=params)
        seen = time.perf_counter()
        if _holds(body, steps):
            return seen
        await asyncio.sleep(min(pause, max(0.0, deadline - seen)))
        pause = min(pause * 2, 0.05)
