"""``TrialsRun``: one unmanaged level's simulated trials driven on Locust's runners (daist.engine):
in-process with ``[locust] workers = 0`` and no remote workers, else a Locust master with local
worker processes and/or remote ones (``python -m daist.worker``), exactly as the load tests run.

Lifecycle: build the user class (and, distributed, start the workers and wait for every hello),
open the window (the exact tally records from here; the workers' CPU is counted from here), start
one user per trial, wait until every trial has ended (bounded by ``[metrics] timeout``; a lost
worker fails the level at once, named; so does a late one while trials still start, since Locust
would move its trials to the others; a late one after that is waited for and recorded, and the
level's generator check marks it invalid), close the window (the workers send their last tallies
and their CPU), and quit every process. Import only in the test's process (imports Locust)."""
from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Callable

import daist.engine.locust_import  # noqa: F401  (gevent patching first)

import gevent
from locust.env import Environment

from daist.engine.distributed import KIND_KEY, WINDOW, WorkerPool, master_address
from daist.engine.monitor import GeneratorMonitor
from daist.engine.tally import ExactTally
from daist.engine.garbage import freeze_garbage, freeze_when_spawned
from daist.framework.errors import DaistError
from daist.metrics.generator_check import Driven
from daist.metrics.trial_user import REPORT, TRIAL, TrialSpec, build_trial_user
from daist.metrics.worker import KIND
from daist.models.config import LocustSettings

TICK_S = 0.2
SPAWN_PER_PROCESS = 100.0
"""Trials started per second per generator process: faster, a worker busy starting its users
misses Locust's heartbeats and is lost (10,000 at once did; Locust warns above 100 a worker)."""
COLLECT_S = 30.0
"""How long the workers may take to send their last tallies after the trials ended."""


class GeneratorError(DaistError):
    """A level's trials could not be driven to their end (names why)."""


class TrialsRun:
    def __init__(self, *, spec: TrialSpec, token: str, trials: int, locust: LocustSettings,
                 user: str, password: str, timeout: float, log_dir: Path | None = None,
                 on_progress: Callable[[int], None] = lambda reports: None,
                 spawn_per_process: float = SPAWN_PER_PROCESS) -> None:
        self.spec = spec
        self.token = token
        self.trials = trials
        self.locust = locust
        self.user = user
        self.password = password
        self.timeout = timeout
        self.log_dir = log_dir
        self.on_progress = on_progress
        self.spawn_per_process = spawn_per_process
        self.tally = ExactTally()
        self.monitor = GeneratorMonitor()
        self.runner = None
        self.pool: WorkerPool | None = None
        self.started = False
        """Every trial's user has started (Locust's spawning completed once)."""
        self.late: set[str] = set()
        """Workers that missed Locust's heartbeat after every trial started (by name)."""

    @property
    def distributed(self) -> bool:
        return self.locust.workers + self.locust.remote_workers > 0

    def run(self) -> Driven:
        try:
            self._setup()
            freeze_garbage()  # full collections would scan the whole test process, blocking the users
            return self._drive()
        finally:
            gc.unfreeze()
            self.monitor.stop()
            self._teardown()

    def _setup(self) -> None:
        spec, locust = self.spec, self.locust
        env = Environment(user_classes=[build_trial_user(spec, token=self.token)], host=spec.host)
        env.events.request.add_listener(self.tally.on_request)
        freeze_when_spawned(env)  # unfrozen when the run ends
        if not self.distributed:
            self.runner = env.create_local_runner()
            self.monitor.watch_self(role="local")
            return
        bind = master_address(locust.master_bind, remote_workers=locust.remote_workers)
        self.pool = pool = WorkerPool.open(env, self.tally, bind=bind, local=locust.workers,
                                           remote=locust.remote_workers, wait_s=locust.worker_wait)
        self.runner = pool.runner  # set first: a start that fails is torn down with it
        pool.start(spec={**spec.to_message(), KIND_KEY: KIND}, password=self.password,
                   target=spec.host, user=self.user,
                   log_dir=str(self.log_dir) if self.log_dir else None, sleep=gevent.sleep)
        self.monitor.watch_self(role="master")  # workers report their own usage

    def _drive(self) -> Driven:
        start = time.time()
        self.tally.open_window(start)
        self.monitor.start()
        if self.pool is not None:
            self.pool.broadcast(WINDOW, {"start": start, "reset": True, "block_s": 0.0})
        processes = max(1, self.locust.workers + self.locust.remote_workers)
        self.runner.start(self.trials, spawn_rate=min(float(self.trials),
                                                      self.spawn_per_process * processes))
        deadline = time.monotonic() + self.timeout
        while self.tally.count(TRIAL) < self.trials:
            if self.pool is not None and self.pool.known:
                self._check_workers()
            if time.monotonic() > deadline:
                raise GeneratorError(f"{self.tally.count(TRIAL)} of {self.trials} trials ended "
                                     f"within {self.timeout:g} s ([metrics] timeout)")
            self.monitor.sample()
            self.on_progress(self.tally.count(REPORT))
            gevent.sleep(TICK_S)
        end = time.time()
        self.tally.close_window(end)
        driven = Driven(tally=self.tally, usage=self.monitor.usage())
        if self.pool is not None:
            self.pool.collect(end=end, stop=True, timeout=COLLECT_S, sleep=gevent.sleep,
                              late_ok=True)
            self._check_workers()
            driven.usage += self.pool.usage()
            driven.late_workers = sorted(self.late)
            driven.workers = len(self.pool.known)
            driven.workers_reported = self.pool.reported
        else:
            self.runner.stop()
        self.on_progress(self.tally.count(REPORT))
        return driven

    def _check_workers(self) -> None:
        """A lost worker fails the level at once, named; a late one too until every trial has
        started (Locust re-dispatches a missing worker's share to the others: its trials would
        run twice)."""
        self.pool.check_alive(late_ok=self.started)
        if not self.started and self.runner.spawning_completed:
            self.started = True
            self.pool.freeze_dispatch()  # a trial moved to another worker would run twice
        self.late.update(map(self.pool.name, self.pool.late()))

    def _teardown(self) -> None:
        try:
            if self.runner is not None:
                self.runner.quit()
        finally:
            if self.pool is not None:
                self.pool.shutdown()
