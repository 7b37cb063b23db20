"""Unmanaged trials as a Locust user class: each user is one simulated trial of a detached-mode
(unmanaged) experiment, on Locust's gevent client (FastHttpUser), so the metric tests run
in-process, on local workers or on remote ones exactly as the load tests do (daist.engine).

A user creates and starts its own trial in the experiment the master made (the Determined
master numbers the trials: ids never collide, whichever worker made them), then sends the same
REST calls ``core_v2`` makes, with bodies built by the SDK's own ``bindings``:
``POST /api/v1/trials``, ``POST /api/v1/trials/{id}/start``, ``POST /api/v1/trials/{id}/metrics``
and the final ``PATCH /api/v1/trials/{id}``. Its reports go one at a time (a closed loop, with
``think_s`` between them), each timed where it is sent, as the managed trial code does:
``enqueue`` (building and serializing the report), ``write`` (the POST round trip) and
``visible`` (from the start until ``/api/v1/trials/time-series`` returns it). The latencies go
back to the target as validation-metric chunks of the managed mode's shape, so one collection
reads both modes. Every call also fires Locust's ``request`` event under a fixed name
(``NAMES``): the engine's exact tally counts and times them on every worker and merges them at
the master. A user ends its trial (COMPLETED, or ERROR with the failure recorded) and then idles
until the run stops it (``idle``).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import socket
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from daist.engine.responses import release
from daist.engine.target import RefusedTarget, same_master

CREATE, START, REPORT, READ, CHUNK, END = ("create trial", "start trial", "metrics report",
                                           "time-series read", "latency chunk", "end trial")
TRIAL = "trial"
"""The name of a whole trial's outcome (a failure carries why the trial ended ERROR)."""
NAMES = (CREATE, START, REPORT, READ, CHUNK, END, TRIAL)
JSON_HEADERS = {"Content-Type": "application/json"}
CALL_TIMEOUT_S = 60.0
IDLE_S = 3600.0


class TrialFailed(RuntimeError):
    """A trial's call failed (names the call and the answer)."""


@dataclass(frozen=True)
class TrialSpec:
    """What every worker needs to drive its share of a level's trials (no credential)."""

    host: str
    experiment_id: int
    num_batches: int
    metric_count: int
    visible_timeout: float
    think_s: float = 0.0

    def to_message(self) -> dict[str, Any]:
        return asdict(self)


def build_trial_user(spec: TrialSpec, *, token: str) -> type:
    """The user class for ``spec``; ``token`` is this process's session on ``spec.host``."""
    from locust import FastHttpUser, constant, task

    import daist.metrics.model_def  # noqa: F401  (the trial's modules, imported here, before
    import determined.common.api.bindings  # noqa: F401  the window: the first trial would
    # otherwise stall this process's loop ~50 ms importing them, under every user's timing)

    class SimulatedTrial(FastHttpUser):
        host = spec.host
        wait_time = constant(0)
        network_timeout = connection_timeout = CALL_TIMEOUT_S
        headers = {**JSON_HEADERS, "Authorization": f"Bearer {token}"}
        serial = itertools.count()

        @task
        def trial(self) -> None:
            drive_trial(self, spec)
            self.client.client.close()  # its connection is not needed any more
            idle()
    return SimulatedTrial


def idle() -> None:
    """A user whose trial ended stays, idle, until the run stops it: Locust starts users in steps
    (``trials_run.SPAWN_PER_PROCESS``) and at each step tops every process up to its share of
    running users, so a user that ended early would be replaced by a second trial. Its task
    never returns either (Locust would run it again: another trial)."""
    import gevent

    while True:
        gevent.sleep(IDLE_S)


def drive_trial(user: Any, spec: TrialSpec) -> None:
    """One trial from creation to its final state; a failure is recorded (``TRIAL``), never
    raised (Locust would run the task again: a second trial)."""
    from determined.common.api import bindings

    events = user.environment.events
    started = time.perf_counter()
    failure: Exception | None = None
    trial_id = None
    try:
        if not same_master(user.client.base_url, spec.host):
            raise RefusedTarget(f"refused to send to {user.client.base_url}: this process "
                                f"reports only to {spec.host}")
        index = next(user.serial)
        body = bindings.v1CreateTrialRequest(  # which process simulated it, and its n-th trial
            experimentId=spec.experiment_id, unmanaged=True,
            hparams={"generator": f"{socket.gethostname()} pid {os.getpid()}", "trial": index})
        trial_id = int(_call(user, "POST", "/api/v1/trials", CREATE, body.to_json(True))
                       ["trial"]["id"])
        start = bindings.v1StartTrialRequest(trialId=trial_id, resume=False)
        run_id = int(_call(user, "POST", f"/api/v1/trials/{trial_id}/start", START,
                           start.to_json(True))["trialRunId"])
        _report_all(user, spec, trial_id, run_id)
    except Exception as exc:  # noqa: BLE001 (every failure ends the trial in ERROR, named)
        failure = exc
    if trial_id is not None:
        state = bindings.trialv1State.ERROR if failure else bindings.trialv1State.COMPLETED
        end = bindings.v1PatchTrialRequest(trialId=trial_id, state=state)
        try:
            _call(user, "PATCH", f"/api/v1/trials/{trial_id}", END, end.to_json(True))
        except Exception as exc:  # noqa: BLE001
            failure = failure or exc
    events.request.fire(request_type="TRIAL", name=TRIAL, context={}, response_length=0,
                        response_time=(time.perf_counter() - started) * 1000.0,
                        exception=None if failure is None else
                        TrialFailed(f"trial {trial_id}: {failure}"))


def _call(user: Any, method: str, path: str, name: str, body: Any = None) -> dict[str, Any]:
    """One call, fired as ``name``; a refusal raises ``TrialFailed`` naming it."""
    data = body if body is None or isinstance(body, str) else json.dumps(body)
    context = user.client.request(method, path, name=name, data=data, headers=user.headers,
                                  catch_response=True)
    try:
        with context as answer:
            if answer.status_code >= 300 or answer.status_code == 0:
                text = " ".join((answer.text or "").split())[:300]
                answer.failure(f"HTTP {answer.status_code}: {text}")
                raise TrialFailed(f"{method} of {name} answered HTTP {answer.status_code}: "
                                  f"{text}")
            return json.loads(answer.text) if answer.text else {}
    finally:
        release(context)


def _metrics_body(trial_id: int, run_id: int, *, steps: int, group: str,
                  metrics: dict[str, Any]) -> str:
    from determined.common.api import bindings

    report = bindings.v1TrialMetrics(metrics=bindings.v1Metrics(avgMetrics=metrics),
                                     trialId=trial_id, stepsCompleted=steps, trialRunId=run_id)
    return json.dumps(bindings.v1ReportTrialMetricsRequest(metrics=report, group=group)
                      .to_json(True))


def _report_all(user: Any, spec: TrialSpec, trial_id: int, run_id: int) -> None:
    import gevent

    from daist.metrics.model_def import Chunk

    rng = random.Random(trial_id)
    names = [str(k) for k in range(spec.metric_count)]
    chunk = Chunk(first_index=0)
    path = f"/api/v1/trials/{trial_id}/metrics"
    for index in range(spec.num_batches):
        if index and spec.think_s:
            gevent.sleep(spec.think_s)
        steps = index + 1
        start_unix = time.time()
        started = time.perf_counter()
        body = _metrics_body(trial_id, run_id, steps=steps, group="training",
                             metrics={name: rng.gauss(0.0, 1.0) for name in names})
        queued = time.perf_counter()
        _call(user, "POST", path, REPORT, body)
        written = time.perf_counter()
        seen = _wait_visible(user, trial_id, steps, name=names[0],
                             deadline=started + spec.visible_timeout)
        chunk.add(enqueue=queued - started, write=written - queued, visible=seen - started,
                  start_unix=start_unix)
        if chunk.due() or steps == spec.num_batches:
            _call(user, "POST", path, CHUNK, _metrics_body(
                trial_id, run_id, steps=steps, group="validation", metrics=chunk.metrics()))
            chunk = Chunk(first_index=steps)


def _wait_visible(user: Any, trial_id: int, steps: int, *, name: str, deadline: float) -> float:
    import gevent

    from daist.metrics.model_def import _holds

    query = urlencode([("trialIds", str(trial_id)), ("group", "training"), ("metricNames", name),
                       ("startBatches", str(steps)), ("endBatches", str(steps)),
                       ("maxDatapoints", "10")])
    pause = 0.001
    while True:
        if time.perf_counter() >= deadline:
            raise TrialFailed(f"training report {steps} was not readable in time")
        body = _call(user, "GET", f"/api/v1/trials/time-series?{query}", READ)
        seen = time.perf_counter()
        if _holds(body, steps):
            return seen
        gevent.sleep(min(pause, max(0.0, deadline - seen)))
        pause = min(pause * 2, 0.05)
