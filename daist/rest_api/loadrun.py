"""``LoadRun``: one Locust load phase (or a sweep of them) driven as a library, with daist's
windows, signals and generator watch. Import only in the load process (imports Locust).

Lifecycle: ``run()`` builds the environment and runner (local, or a master with local/remote
workers), then per phase: start users -> wait for spawning to complete -> ``warmup`` -> open
the window (reset Locust's stats, start HDR recording and the CPU watch) -> load -> close the
window (stop recording; the last phase stops the users, giving them ``stop_timeout``). Ctrl-C
and SIGTERM end the phase early: the window closes with what was measured, every process is
stopped, and the signal is re-raised as ``KeyboardInterrupt``/``Interrupted``.
"""
from __future__ import annotations

import contextlib
import gc
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import daist.engine.locust_import  # noqa: F401  (gevent patching first)

import gevent
from gevent.event import Event
from locust.env import Environment

from daist.evidence.capture import WindowEvidence
from daist.framework import signals
from daist.framework.errors import DaistError, Interrupted
from daist.framework.log import get_logger
from daist.framework.progress import Progress
from daist.models.locust import GeneratorUsage, StepPoint, block_length
from daist.models.shape import Phase
from daist.engine.distributed import KIND_KEY, WINDOW, WorkerPool
from daist.engine.monitor import GeneratorMonitor
from daist.engine.garbage import freeze_garbage
from daist.rest_api.plan import LoadPlan
from daist.rest_api.recorder import SETTLE_EVERY, Recorder
from daist.rest_api.sweep import mark_knee, step_point
from daist.rest_api.user import UserSpec, build_user_class
from daist.rest_api.worker import KIND

log = get_logger("rest_api")
TICK_S = 0.2
SPAWN_GRACE_S = 30.0
USER_COUNTS_S = 10.0
"""How long the workers' user counts may lag the end of spawning (they report every 3 s)."""


class LoadError(DaistError):
    """The load generator could not run the plan (spawning stuck, workers missing)."""


class LoadRun:
    def __init__(self, *, spec: UserSpec, plan: LoadPlan, label: str,
                 log_dir: Path | None = None, evidence: WindowEvidence | None = None) -> None:
        self.spec = spec
        self.evidence = evidence
        """What the target says about itself, read just before and after the window."""
        self.plan = plan
        self.log_dir = log_dir
        shape = plan.load_shape
        self.recorder = Recorder(samples_path=plan.samples_path, steps=shape.sweep,
                                 block_s=0.0 if shape.sweep  # a sweep's steps are judged whole
                                 else block_length(shape.measured_s(plan.warmup)))
        self.monitor = GeneratorMonitor()
        self.progress = Progress(label, total_s=plan.expected_s)
        self.env: Any = None
        self.runner: Any = None
        self.pool: WorkerPool | None = None
        self.steps: list[StepPoint] = []
        self.window_start: float | None = None
        self.window_end: float | None = None
        self.warmup_start: float | None = None
        """When the last phase's users had spawned (its warm-up began): the history marks it."""
        self.usage: list[GeneratorUsage] = []
        self.interrupted = False
        self._spawned = Event()
        self._signal: int | None = None

    # -- the whole run -----------------------------------------------------------------------
    def run(self) -> None:
        with self._signals():
            ticker = None
            try:
                self._setup()
                freeze_garbage()
                ticker = gevent.spawn(self._tick)
                phases = self.plan.load_shape.phases()
                for index, phase in enumerate(phases):
                    self._phase(phase, last=index == len(phases) - 1)
                if self.plan.load_shape.sweep:
                    mark_knee(self.steps)
            except BaseException as exc:
                self.interrupted = isinstance(exc, (KeyboardInterrupt, Interrupted))
                if self.recorder.window_open:
                    self._close_window(stop=True)
                raise
            finally:
                if ticker is not None:
                    ticker.kill()
                gc.unfreeze()
                self._teardown()
            self._raise_pending_signal()

    @property
    def window_s(self) -> float:
        if self.window_start is None or self.window_end is None:
            return 0.0
        return self.window_end - self.window_start

    # -- setup and teardown ------------------------------------------------------------------
    def _setup(self) -> None:
        plan, spec = self.plan, self.spec
        user_class = build_user_class(spec)
        self.env = env = Environment(user_classes=[user_class], host=spec.host,
                                     stop_timeout=plan.stop_timeout, reset_stats=False)
        env.events.request.add_listener(self.recorder.on_request)
        env.events.spawning_complete.add_listener(lambda user_count: self._spawned.set())
        if not plan.distributed:
            self.runner = env.create_local_runner()
            self.monitor.watch(os.getpid(), role="local")
            return
        self.pool = pool = WorkerPool.open(env, self.recorder, bind=plan.bind, local=plan.workers,
                                           remote=plan.remote_workers, wait_s=plan.worker_wait)
        self.runner = pool.runner  # set first: a start that fails is torn down with it
        pool.start(spec={**spec.to_message(), KIND_KEY: KIND}, password=spec.password,
                   target=spec.host, user=spec.user_name,
                   log_dir=str(self.log_dir) if self.log_dir else None, sleep=self._sleep)
        self.monitor.watch(os.getpid(), role="master")  # workers report their own usage

    def _teardown(self) -> None:
        try:
            if self.runner is not None:
                self.runner.quit()
        finally:
            if self.pool is not None:
                self.pool.shutdown()
            self.recorder.close()
            interrupted = self.interrupted or self._signal is not None
            self.progress.done(self.final_figures(),
                               ending="interrupted" if interrupted else "done")

    # -- one phase ---------------------------------------------------------------------------
    def _phase(self, phase: Phase, *, last: bool) -> None:
        """One of the shape's phases, as Locust runs it: ``runner.start`` with its users and
        spawn rate, then held (Locust's own ``LoadTestShape`` ticks by the clock, and cannot
        wait for spawning and warm-up before a window opens)."""
        plan, users, spawn_rate = self.plan, phase.users, phase.spawn_rate
        self._spawned.clear()
        self.runner.start(users, spawn_rate=spawn_rate)
        ramp_s = users / spawn_rate + SPAWN_GRACE_S
        self._wait(self._spawned.is_set, timeout=ramp_s,
                   failure=f"spawning {users} users did not complete within {ramp_s:.0f} s")
        if self.pool is not None:
            self.pool.wait_users(users, timeout=USER_COUNTS_S, sleep=self._sleep)
        self.warmup_start = time.time()
        self._sleep(plan.warmup)
        first = self.window_start is None
        if first and self.evidence is not None:
            self.evidence.before()
        self._open_window()
        if first and self.evidence is not None:
            self.evidence.opened(self._measured_s())
        self._sleep(phase.seconds - plan.warmup)
        self._close_window(stop=last)
        if last and self.evidence is not None:
            self.evidence.after()
        if plan.load_shape.sweep:
            self.steps.append(step_point(users, self.recorder.take_step(),
                                         window_s=self.recorder.window_s))

    def _measured_s(self) -> float:
        """How long the windows of the whole run will measure, in all."""
        return self.plan.load_shape.measured_s(self.plan.warmup)

    def _open_window(self) -> None:
        now = time.time()
        first = self.window_start is None
        if first:
            self.window_start = now
            self.env.stats.reset_all()
            self.monitor.start()
        self.recorder.take_step()
        if self.pool is not None:
            self.pool.broadcast(WINDOW, {"start": now, "reset": first,
                                         "block_s": self.recorder.block_s})
        self.recorder.open_window(now)

    def _close_window(self, *, stop: bool) -> None:
        end = time.time()
        self.window_end = end
        self.recorder.close_window(end)
        self.usage = self.monitor.usage()
        if self.pool is not None:
            self.pool.collect(end=end, stop=stop, timeout=self.plan.stop_timeout + 10,
                              sleep=gevent.sleep)
            self.usage += self.pool.usage()
        elif stop:
            self.runner.stop()  # users get stop_timeout to finish; their requests still count

    # -- waiting, signals, progress ----------------------------------------------------------
    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self._raise_pending_signal()
            if self.pool is not None and self.pool.known:
                self.pool.check_alive()  # a lost worker fails the load at once
            left = deadline - time.monotonic()
            if left <= 0:
                return
            gevent.sleep(min(TICK_S, left))

    def _wait(self, done: Callable[[], bool], *, timeout: float, failure: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise LoadError(failure)
            self._sleep(0.05)

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        """Handlers only note the signal; the main greenlet raises it at its next tick (a
        handler raising inside gevent's hub would be swallowed there)."""
        def note(signum: int) -> None:
            self._signal = signum
        with signals.handling(note):
            yield

    def _raise_pending_signal(self) -> None:
        signum, self._signal = self._signal, None
        if signum is not None:
            raise signals.as_exception(signum)

    def _tick(self) -> None:
        while True:
            if self.runner is not None:
                self.recorder.intervals.note_users(time.time(), self.runner.user_count)
            self.recorder.settle(at_least=SETTLE_EVERY)  # filed in bulk, memory bounded
            self.monitor.sample()
            self.progress.update(self.figures())
            gevent.sleep(1.0)

    def figures(self) -> dict[str, object]:
        if self.env is None:
            return {}
        total = self.env.stats.total
        try:
            p95 = total.get_current_response_time_percentile(0.95) or 0
        except (ValueError, KeyError, TypeError):
            p95 = 0
        return {"users": self.runner.user_count if self.runner else 0,
                # Locust's current_rps window lags: the first seconds would read 0
                "rps": round(total.current_rps or total.total_rps, 1),
                "failures": total.num_failures,
                "p95 ms": p95}


    def final_figures(self) -> dict[str, object]:
        """The last progress line: the load that ran (the users have stopped by now)."""
        if self.env is None:
            return {}
        total = self.env.stats.total
        return {"users": self.plan.load_shape.peak_users, "requests": total.num_requests, "failures": total.num_failures}

