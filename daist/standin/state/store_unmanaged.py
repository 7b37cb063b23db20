"""Unmanaged (detached-mode) experiments and trials in ``StandinStore``: which experiments are
unmanaged, their external ids, and the experiment state derived from its trials' states.

Functions over the store rather than a mixin: the rows they add live in their own tables
(``unmanaged_experiments``, ``unmanaged_trials``), and an experiment deleted through the normal
API leaves a stale row that is ignored (and replaced) here.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from daist.standin.state.exp_entities import TERMINAL_STATES

if TYPE_CHECKING:
    from daist.standin.state.store import StandinStore

# How far a trial state has got, as the master ranks them to derive an unmanaged experiment's
# state (the most progressed trial wins); other states do not move the experiment.
_PROGRESS = {"STATE_PAUSED": 10, "STATE_ERROR": 20, "STATE_COMPLETED": 30, "STATE_RUNNING": 40}


def _exists(store: StandinStore, table: str, column: str, value: int) -> bool:
    return store.db.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (value,)).fetchone() \
        is not None


def is_unmanaged(store: StandinStore, experiment_id: int) -> bool:
    return _exists(store, "unmanaged_experiments", "experiment_id", experiment_id)


def external_trial_id(store: StandinStore, trial_id: int) -> str | None:
    row = store.db.execute("SELECT external_id FROM unmanaged_trials WHERE trial_id = ?",
                           (trial_id,)).fetchone()
    return None if row is None else row[0]


def experiment_by_external_id(store: StandinStore, external_id: str) -> int | None:
    row = store.db.execute("SELECT experiment_id FROM unmanaged_experiments WHERE external_id = ?",
                           (external_id,)).fetchone()
    if row is None:
        return None
    if _exists(store, "experiments", "id", row[0]):
        return int(row[0])
    store.db.execute("DELETE FROM unmanaged_experiments WHERE experiment_id = ?", (row[0],))
    return None


def mark_experiment(store: StandinStore, experiment_id: int, external_id: str | None) -> None:
    store.db.execute("INSERT INTO unmanaged_experiments (experiment_id, external_id) VALUES (?, ?)",
                     (experiment_id, external_id))


def upsert_trial(store: StandinStore, *, experiment_id: int, hparams: dict[str, Any],
                 external_id: str | None) -> int:
    """A new PAUSED trial, never started (run 0); with an external id, the trial that already
    has it in this experiment (the master's UPSERT by external id)."""
    if external_id is not None:
        row = store.db.execute(
            "SELECT u.trial_id FROM unmanaged_trials u JOIN trials t ON t.id = u.trial_id"
            " WHERE u.experiment_id = ? AND u.external_id = ?",
            (experiment_id, external_id)).fetchone()
        if row is not None:
            return int(row[0])
        store.db.execute("DELETE FROM unmanaged_trials WHERE experiment_id = ? AND external_id = ?",
                         (experiment_id, external_id))
    suffix = external_id if external_id is not None else str(uuid.uuid4())
    trial_id = store.add_trial(experiment_id=experiment_id, hparams=hparams,
                               task_id=f"{experiment_id}.{suffix}", state="STATE_PAUSED")
    store.update_trial(trial_id, run_id=0)
    store.db.execute("INSERT INTO unmanaged_trials (trial_id, experiment_id, external_id)"
                     " VALUES (?, ?, ?)", (trial_id, experiment_id, external_id))
    return trial_id


def start_trial(store: StandinStore, trial_id: int, *, resume: bool) -> int:
    """The trial's new run id; ``ValueError`` when it was started before and ``resume`` is off."""
    run_id = store.db.execute("SELECT run_id FROM trials WHERE id = ?", (trial_id,)).fetchone()[0]
    if not resume and run_id != 0:
        raise ValueError("trial has already been started")
    store.update_trial(trial_id, run_id=run_id + 1, state="STATE_RUNNING", end_time=None)
    return run_id + 1


def set_trial_state(store: StandinStore, trial_id: int, state: str) -> None:
    columns: dict[str, Any] = {"state": state}
    if state in TERMINAL_STATES:
        columns["end_time"] = store.now()
    store.update_trial(trial_id, **columns)


def update_experiment_state(store: StandinStore, experiment_id: int) -> None:
    """The experiment takes its most progressed trial's state; a terminal one ends it at its
    trials' latest end."""
    rows = store.db.execute(  # one row per state: a trial's change must not cost O(trials) in
        # Python (10,000 trials of one experiment saturated the stand-in ending them)
        "SELECT state, MAX(end_time) AS end_time FROM trials WHERE experiment_id = ? "
        "GROUP BY state", (experiment_id,)).fetchall()
    if not rows:
        return
    state = "STATE_PAUSED"
    for row in rows:
        if _PROGRESS.get(row["state"], 0) > _PROGRESS[state]:
            state = row["state"]
    current = store.db.execute("SELECT state FROM experiments WHERE id = ?",
                               (experiment_id,)).fetchone()[0]
    if state == current:
        return
    end = None
    if state in TERMINAL_STATES:
        end = max((r["end_time"] for r in rows if r["end_time"] is not None), default=store.now())
    progress = ", progress = 1.0" if state == "STATE_COMPLETED" else ""
    store.db.execute(f"UPDATE experiments SET state = ?, end_time = ?{progress} WHERE id = ?",
                     (state, end, experiment_id))
