"""``Backend``: the composition root of one stand-in master (store, runner, faults, ...).

Handlers reach every collaborator through it (``request.app[BACKEND]``); nothing lives at
module level, so two masters in one process share nothing.
"""
from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from daist.standin.faults.injector import FaultInjector
from daist.standin.common.grpc_methods import grpc_table
from daist.standin.launcher import STANDIN_CLUSTER_NAME  # the one definition (stdlib-only module)
from daist.standin.observe.prom import ServerMetrics
from daist.standin.options import StandinOptions
from daist.standin.trials.commands import CommandRunner
from daist.standin.trials.checkpoint_gc import CheckpointGC
from daist.standin.trials.preemption import PreemptionHub
from daist.standin.trials.runner import TrialRunner
from daist.standin.seed.seeder import SeedSpec, seed_store
from daist.standin.state.store import StandinStore
from daist.standin.state.webhooks import WebhookShipper

VERSION = "0.38.1"  # the Determined release whose API the stand-in speaks


@dataclass
class Backend:
    options: StandinOptions
    store: StandinStore
    faults: FaultInjector
    stopping: asyncio.Event
    preemption: PreemptionHub
    work_dir: Path
    owns_work_dir: bool
    cluster_id: str
    master_id: str
    url: str = ""
    started_at: float = field(default_factory=time.time)
    seed_seconds: float = 0.0
    trials: TrialRunner = field(init=False)
    commands: CommandRunner = field(init=False)
    checkpoint_gc: CheckpointGC = field(init=False)
    webhooks: WebhookShipper = field(init=False)
    server_metrics: ServerMetrics = field(init=False)
    profiling: bool = False
    """A CPU profile is being taken (Go's pprof allows one at a time)."""

    def __post_init__(self) -> None:
        self.server_metrics = ServerMetrics(grpc_table())  # the SDK's REST -> gRPC table
        self.trials = TrialRunner(self)
        self.commands = CommandRunner(self)
        self.checkpoint_gc = CheckpointGC(self)
        self.webhooks = WebhookShipper(signing_key=self.cluster_id)
        self.store.webhook_sink = self.webhooks.enqueue

    @classmethod
    def create(cls, options: StandinOptions) -> "Backend":
        """Build and seed; must run inside the event loop that will serve it."""
        owns = options.work_dir is None
        work_dir = Path(options.work_dir or tempfile.mkdtemp(prefix="daist-standin-"))
        work_dir.mkdir(parents=True, exist_ok=True)
        stopping = asyncio.Event()
        backend = cls(
            options=options, store=StandinStore(path=options.db or ":memory:"),
            faults=FaultInjector(options.faults, seed=options.seed), stopping=stopping,
            preemption=PreemptionHub(stopping), work_dir=work_dir, owns_work_dir=owns,
            cluster_id=str(uuid.UUID(int=options.seed + 1)),
            master_id=str(uuid.UUID(int=options.seed + 2)))
        backend.reseed()
        return backend

    def reseed(self) -> None:
        start = time.perf_counter()
        seed_store(self.store, SeedSpec(scale=self.options.scale, seed=self.options.seed,
                                        passwords=self.options.passwords))
        self.seed_seconds = time.perf_counter() - start

    async def stop_tasks(self) -> None:
        """Every trial, command and checkpoint-GC process ends (server stop or reset)."""
        await self.trials.stop_all()
        await self.commands.stop_all()
        await self.checkpoint_gc.stop_all()

    async def reset(self) -> None:
        await self.stop_tasks()
        self.reseed()

    async def close(self) -> None:
        """Stop trials, release long-polls, close the database, remove the temp work dir."""
        self.stopping.set()
        await self.stop_tasks()
        await self.webhooks.close()
        self.store.close()
        if self.owns_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)


__all__ = ["Backend", "STANDIN_CLUSTER_NAME", "VERSION"]
