"""What the task runners (trials, commands, checkpoint GC) need of the stand-in that hosts them.

The backend satisfies this protocol; the runners name it instead of the backend, so the trials
room never imports the room above it (not even for type hints).
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from daist.standin.options import StandinOptions
from daist.standin.state.store import StandinStore
from daist.standin.trials.preemption import PreemptionHub


class ExperimentCleaner(Protocol):
    """The checkpoint GC, as the runners and experiment actions use it."""

    def after_experiment(self, experiment_id: int) -> None: ...

    def delete_experiment(self, experiment_id: int) -> None: ...


class ExperimentDriver(Protocol):
    """The trial runner, as the experiment actions use it."""

    def activate_experiment(self, experiment_id: int) -> None: ...

    def pause_experiment(self, experiment_id: int) -> None: ...

    def cancel_experiment(self, experiment_id: int) -> None: ...

    async def kill_experiment(self, experiment_id: int) -> None: ...


class TaskHost(Protocol):
    options: StandinOptions
    store: StandinStore
    stopping: asyncio.Event
    """Set once the stand-in shuts down: runners stop starting work."""
    preemption: PreemptionHub
    work_dir: Path
    cluster_id: str
    url: str
    """The master URL that tasks are given (DET_MASTER)."""
    checkpoint_gc: ExperimentCleaner


class ExperimentHost(TaskHost, Protocol):
    """What the experiment actions (activate, pause, kill, archive, delete) need."""

    trials: ExperimentDriver
