"""Experiment actions as the master's experiment actor applies them, one experiment at a time.

Each action returns the error a bulk call reports for that experiment (None: done), as the
text of the gRPC status the master would give (``rpc error: code = ... desc = ...``); the
single-experiment endpoints raise the same error instead. Transitions follow the master:
activate needs PAUSED (ACTIVE is a no-op), pause needs ACTIVE (PAUSED is a no-op), cancel and
kill are no-ops on stopping (kill: already killed) and terminal experiments; archive/unarchive
and delete need a terminal experiment.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from daist.standin.common.errors import BadRequest, FailedPrecondition, NotFound, StandinAPIError
from daist.standin.state.exp_entities import TERMINAL_STATES

if TYPE_CHECKING:
    from daist.standin.trials.host import ExperimentHost


_GRPC_NAMES = {3: "InvalidArgument", 5: "NotFound", 9: "FailedPrecondition"}
_STOPPING = ("STATE_STOPPING_CANCELED", "STATE_STOPPING_KILLED")


def rpc_text(error: StandinAPIError) -> str:
    """What Go's ``status.Error(code, msg).Error()`` reads, the form bulk results carry."""
    return f"rpc error: code = {_GRPC_NAMES.get(error.grpc_code, 'Internal')} desc = {error.message}"


def not_found(experiment_id: int) -> NotFound:
    return NotFound(f"experiment '{experiment_id}' not found")


def model_state(state: str) -> str:
    """The master's internal state name (``ACTIVE``), used in its precondition messages."""
    return state.removeprefix("STATE_")


def _incompatible(state: str) -> FailedPrecondition:
    return FailedPrecondition(f"experiment in incompatible state {model_state(state)}")


def _terminal() -> FailedPrecondition:
    return FailedPrecondition("experiment in terminal state")


def _live_state(backend: "ExperimentHost", experiment_id: int) -> str:
    """The stored state of an experiment that can still be paused or activated."""
    state = backend.store.experiment_state(experiment_id)
    if state in TERMINAL_STATES:
        raise _terminal()
    if state in _STOPPING:
        raise _incompatible(state)
    return state


async def activate(backend: "ExperimentHost", experiment_id: int) -> None:
    if _live_state(backend, experiment_id) == "STATE_PAUSED":
        backend.trials.activate_experiment(experiment_id)


async def pause(backend: "ExperimentHost", experiment_id: int) -> None:
    if _live_state(backend, experiment_id) == "STATE_ACTIVE":
        backend.trials.pause_experiment(experiment_id)


async def cancel(backend: "ExperimentHost", experiment_id: int) -> None:
    state = backend.store.experiment_state(experiment_id)
    if state not in TERMINAL_STATES and state not in _STOPPING:
        backend.trials.cancel_experiment(experiment_id)


async def kill(backend: "ExperimentHost", experiment_id: int) -> None:
    state = backend.store.experiment_state(experiment_id)
    if state not in TERMINAL_STATES and state != "STATE_STOPPING_KILLED":
        await backend.trials.kill_experiment(experiment_id)


def _archived(backend: "ExperimentHost", experiment_id: int) -> tuple[str, bool]:
    row = backend.store.db.execute("SELECT state, archived FROM experiments WHERE id = ?",
                                   (experiment_id,)).fetchone()
    if row is None:
        raise not_found(experiment_id)
    return row[0], bool(row[1])


async def archive(backend: "ExperimentHost", experiment_id: int) -> None:
    state, archived = _archived(backend, experiment_id)
    if archived:
        raise FailedPrecondition("Experiment is already archived.")
    if state not in TERMINAL_STATES:
        raise FailedPrecondition("Experiment is not in terminal state.")
    backend.store.set_archived(experiment_id, True)


async def unarchive(backend: "ExperimentHost", experiment_id: int) -> None:
    state, archived = _archived(backend, experiment_id)
    if not archived:
        raise FailedPrecondition("Experiment is not archived.")
    if state not in TERMINAL_STATES:
        raise FailedPrecondition("Experiment is not in terminal state.")
    backend.store.set_archived(experiment_id, False)


async def delete(backend: "ExperimentHost", experiment_id: int) -> None:
    """DELETING at once; its files and rows go in the background (``CheckpointGC``)."""
    state = backend.store.experiment_state(experiment_id)
    if state not in TERMINAL_STATES and state != "STATE_DELETE_FAILED":
        raise FailedPrecondition(f"cannot delete experiment in {state} state")
    backend.store.set_deletion_state(experiment_id, "STATE_DELETING")
    backend.checkpoint_gc.delete_experiment(experiment_id)


Action = Callable[["ExperimentHost", int], Awaitable[None]]
ACTIONS: dict[str, Action] = {"activate": activate, "pause": pause, "cancel": cancel,
                              "kill": kill, "archive": archive, "unarchive": unarchive,
                              "delete": delete}
# The states a bulk call's ``filters`` select when they name none (the master's defaults).
DEFAULT_FILTER_STATES: dict[str, list[str]] = {
    "activate": ["STATE_PAUSED"], "pause": ["STATE_ACTIVE"],
    "cancel": ["STATE_ACTIVE", "STATE_PAUSED", "STATE_STOPPING_CANCELED",
               "STATE_STOPPING_KILLED", "STATE_STOPPING_COMPLETED", "STATE_STOPPING_ERROR"],
}
DEFAULT_FILTER_STATES["kill"] = DEFAULT_FILTER_STATES["cancel"]


async def apply(backend: "ExperimentHost", name: str, experiment_ids: list[int]) -> list[dict[str, object]]:
    """Run one action on each experiment; ``v1ExperimentActionResult`` per experiment."""
    results: list[dict[str, object]] = []
    for experiment_id in experiment_ids:
        try:
            await ACTIONS[name](backend, experiment_id)
            results.append({"error": "", "id": experiment_id})
        except (NotFound, BadRequest) as exc:  # FailedPrecondition is a BadRequest
            results.append({"error": rpc_text(exc), "id": experiment_id})
    return results
