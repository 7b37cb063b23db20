"""Experiments (and their model definitions and configs) of ``StandinStore``."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable

from daist.standin.common.errors import BadRequest, NotFound
from daist.standin.state.exp_entities import (DELETION_STATES, TERMINAL_STATES, Experiment,
                                              displayed_state)
from daist.standin.state.store_util import distinct_labels
from daist.standin.common.wire import Page

_EXPERIMENT_SQL = """
SELECT e.*, p.name AS project_name, p.user_id AS project_owner_id, p.workspace_id,
  w.name AS workspace_name, u.username, c.config AS config_text, c.original, d.size AS def_size
FROM experiments e JOIN projects p ON p.id = e.project_id JOIN workspaces w ON w.id = p.workspace_id
  JOIN users u ON u.id = e.user_id JOIN exp_configs c ON c.id = e.config_id
  JOIN model_defs d ON d.id = e.model_def_id
"""

_SORT_COLUMNS = {
    "SORT_BY_UNSPECIFIED": "e.id", "SORT_BY_ID": "e.id", "SORT_BY_DESCRIPTION": "e.description",
    "SORT_BY_START_TIME": "e.start_time", "SORT_BY_END_TIME": "e.end_time",
    "SORT_BY_STATE": "e.state", "SORT_BY_PROGRESS": "e.progress", "SORT_BY_USER": "u.username",
    "SORT_BY_NAME": "e.name", "SORT_BY_RESOURCE_POOL": "e.resource_pool",
    "SORT_BY_PROJECT_ID": "e.project_id",
    "SORT_BY_NUM_TRIALS": "(SELECT COUNT(*) FROM trials t WHERE t.experiment_id = e.id)",
}


@dataclass
class ExperimentQuery:
    """The GetExperiments filters the stand-in implements. ``showTrialData`` and
    ``SORT_BY_FORKED_FROM``/``SORT_BY_CHECKPOINT_*``/``SORT_BY_SEARCHER_METRIC_VAL`` are not
    implemented (they sort by id)."""

    archived: bool | None = None
    name: str | None = None
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    project_id: int | None = None
    states: list[str] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    id_in: list[int] = field(default_factory=list)
    id_not_in: list[int] = field(default_factory=list)
    id_gt: int | None = None
    id_gte: int | None = None
    id_lt: int | None = None
    id_lte: int | None = None
    sort_by: str = "SORT_BY_ID"
    descending: bool = False


def _where(query: ExperimentQuery) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        parts.append(sql)
        args.extend(values)

    if query.archived is not None:
        add("e.archived = ?", int(query.archived))
    if query.name:
        add("e.name LIKE ?", f"%{query.name}%")
    if query.description:
        add("e.description LIKE ?", f"%{query.description}%")
    for label in query.labels:
        add("e.labels LIKE ?", f"%{json.dumps(label)}%")
    if query.project_id:
        add("e.project_id = ?", query.project_id)
    for column, values in (("e.state", query.states), ("e.user_id", query.user_ids),
                           ("u.username", query.users), ("e.id", query.id_in)):
        if values:
            add(f"{column} IN ({','.join('?' * len(values))})", *values)
    if query.id_not_in:
        add(f"e.id NOT IN ({','.join('?' * len(query.id_not_in))})", *query.id_not_in)
    for op, value in ((">", query.id_gt), (">=", query.id_gte), ("<", query.id_lt),
                      ("<=", query.id_lte)):
        if value is not None:
            add(f"e.id {op} ?", value)
    return (" WHERE " + " AND ".join(parts)) if parts else "", args


class ExperimentStore:
    db: sqlite3.Connection
    now: Callable[[], float]
    _config_cache: dict[int, dict[str, Any]]

    # -- creation ----------------------------------------------------------------------------
    def add_model_def(self, files: list[dict[str, Any]]) -> int:
        size = sum(len(f.get("content") or "") for f in files)
        return self.db.execute("INSERT INTO model_defs (files, size) VALUES (?, ?)",
                               (json.dumps(files), size)).lastrowid

    def add_config(self, config: dict[str, Any], original: str) -> int:
        return self.db.execute("INSERT INTO exp_configs (config, original) VALUES (?, ?)",
                               (json.dumps(config), original)).lastrowid

    def add_experiment(self, *, project_id: int, user_id: int, config_id: int, model_def_id: int,
                       config: dict[str, Any], state: str, start_time: float | None = None) -> int:
        searcher = config.get("searcher") or {}
        labels = config.get("labels") or []
        return self.db.execute(
            "INSERT INTO experiments (project_id, user_id, config_id, model_def_id, name,"
            " description, labels, state, start_time, searcher_type, searcher_metric,"
            " smaller_is_better, resource_pool) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, user_id, config_id, model_def_id, str(config.get("name") or ""),
             str(config.get("description") or ""), json.dumps(list(labels)), state,
             self.now() if start_time is None else start_time, str(searcher.get("name", "single")),
             str(searcher.get("metric", "")), int(bool(searcher.get("smaller_is_better", True))),
             str((config.get("resources") or {}).get("resource_pool") or "default"))).lastrowid

    # -- reads -------------------------------------------------------------------------------
    def _config(self, config_id: int, text: str) -> dict[str, Any]:
        config = self._config_cache.get(config_id)
        if config is None:
            config = json.loads(text)
            if len(self._config_cache) > 4096:
                self._config_cache.clear()
            self._config_cache[config_id] = config
        return config

    def _experiments(self, rows: list[sqlite3.Row]) -> list[Experiment]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ",".join("?" * len(ids))
        trials: dict[int, list[int]] = {i: [] for i in ids}
        trial_states: dict[int, set[str]] = {i: set() for i in ids}
        for exp_id, trial_id, state in self.db.execute(
                f"SELECT experiment_id, id, state FROM trials WHERE experiment_id IN ({marks})"
                " ORDER BY id", ids):
            trials[exp_id].append(trial_id)
            trial_states[exp_id].add(state)
        ckpts = {r[0]: (r[1], r[2] or 0) for r in self.db.execute(
            "SELECT t.experiment_id, COUNT(*), SUM(c.size) FROM checkpoints c JOIN trials t"
            f" ON t.id = c.trial_id WHERE t.experiment_id IN ({marks}) GROUP BY t.experiment_id",
            ids)}
        unmanaged = dict(self.db.execute(  # detached-mode experiments and their external ids
            f"SELECT experiment_id, external_id FROM unmanaged_experiments"
            f" WHERE experiment_id IN ({marks})", ids).fetchall())
        out = []
        for r in rows:
            labels = json.loads(r["labels"])
            config = dict(self._config(r["config_id"], r["config_text"]), name=r["name"],
                          description=r["description"], labels=list(labels))
            count, size = ckpts.get(r["id"], (0, 0))
            out.append(Experiment(
                id=r["id"], name=r["name"], description=r["description"], notes=r["notes"],
                labels=labels, state=r["state"], archived=bool(r["archived"]),
                shown_state=displayed_state(r["state"], trial_states[r["id"]]),
                progress=r["progress"], start_time=r["start_time"], end_time=r["end_time"],
                project_id=r["project_id"], project_name=r["project_name"],
                project_owner_id=r["project_owner_id"], workspace_id=r["workspace_id"],
                workspace_name=r["workspace_name"], user_id=r["user_id"], username=r["username"],
                config=config, original_config=r["original"], searcher_type=r["searcher_type"],
                searcher_metric=r["searcher_metric"], resource_pool=r["resource_pool"],
                model_definition_size=r["def_size"], trial_ids=trials[r["id"]],
                checkpoint_count=count, checkpoint_bytes=size, unmanaged=r["id"] in unmanaged,
                external_experiment_id=unmanaged.get(r["id"])))
        return out

    def require_experiment(self, experiment_id: int) -> None:
        """``NotFound`` unless the experiment exists; far cheaper than ``get_experiment``."""
        if self.db.execute("SELECT 1 FROM experiments WHERE id = ?",
                           (experiment_id,)).fetchone() is None:
            raise NotFound(f"experiment not found: {experiment_id}")

    def get_experiment(self, experiment_id: int) -> Experiment:
        row = self.db.execute(_EXPERIMENT_SQL + " WHERE e.id = ?", (experiment_id,)).fetchone()
        if row is None:
            raise NotFound(f"experiment not found: {experiment_id}")
        return self._experiments([row])[0]

    def list_experiments(self, query: ExperimentQuery, *, offset: int = 0,
                         limit: int = 0) -> tuple[list[Experiment], Page]:
        """``limit`` follows GetExperiments: 0 means 100, -1 everything, -2 pagination only."""
        where, args = _where(query)
        join = " JOIN users u ON u.id = e.user_id" if query.users else ""  # only to filter
        (total,) = self.db.execute("SELECT COUNT(*) FROM experiments e" + join + where,
                                   args).fetchone()
        wanted = {0: 100, -1: 0, -2: 0}.get(limit, limit)
        page = Page.of(total=total, offset=offset, limit=wanted)
        if limit == -2:
            return [], page
        order = _SORT_COLUMNS.get(query.sort_by, "e.id")
        direction = "DESC" if query.descending else "ASC"
        rows = self.db.execute(
            _EXPERIMENT_SQL + where + f" ORDER BY {order} {direction}, e.id {direction}"
            " LIMIT ? OFFSET ?", [*args, page.end - page.start, page.start]).fetchall()
        return self._experiments(rows), page

    def experiment_labels(self, *, project_id: int | None = None) -> list[str]:
        if project_id:
            return distinct_labels(self.db, "experiments", where="project_id = ?", args=(project_id,))
        return distinct_labels(self.db, "experiments")

    def model_def_files(self, experiment_id: int) -> list[dict[str, Any]]:
        row = self.db.execute("SELECT d.files FROM experiments e JOIN model_defs d"
                              " ON d.id = e.model_def_id WHERE e.id = ?",
                              (experiment_id,)).fetchone()
        if row is None:
            raise NotFound(f"experiment not found: {experiment_id}")
        return json.loads(row[0])

    # -- writes ------------------------------------------------------------------------------
    def patch_experiment(self, experiment_id: int, patch: dict[str, Any]) -> Experiment:
        """``name``, ``description``, ``notes`` and ``labels``; resources and checkpoint
        storage patches are accepted and ignored."""
        exp = self.get_experiment(experiment_id)
        labels = patch.get("labels")
        if labels is not None and not isinstance(labels, list):
            raise BadRequest("labels must be a list of strings")
        self.db.execute(
            "UPDATE experiments SET name = ?, description = ?, notes = ?, labels = ? WHERE id = ?",
            (patch.get("name") or exp.name,
             exp.description if patch.get("description") is None else str(patch["description"]),
             exp.notes if patch.get("notes") is None else str(patch["notes"]),
             json.dumps(exp.labels if labels is None else [str(x) for x in labels]),
             experiment_id))
        return self.get_experiment(experiment_id)

    def put_label(self, experiment_id: int, label: str) -> list[str]:
        labels = self.get_experiment(experiment_id).labels
        if label not in labels:
            labels.append(label)
        self.db.execute("UPDATE experiments SET labels = ? WHERE id = ?",
                        (json.dumps(labels), experiment_id))
        return labels

    def delete_label(self, experiment_id: int, label: str) -> list[str]:
        labels = [x for x in self.get_experiment(experiment_id).labels if x != label]
        self.db.execute("UPDATE experiments SET labels = ? WHERE id = ?",
                        (json.dumps(labels), experiment_id))
        return labels

    def experiment_state(self, experiment_id: int) -> str:
        """The stored state (ACTIVE, not its QUEUED/RUNNING display form)."""
        row = self.db.execute("SELECT state FROM experiments WHERE id = ?",
                              (experiment_id,)).fetchone()
        if row is None:
            raise NotFound(f"experiment not found: {experiment_id}")
        return row[0]

    def set_experiment_config(self, experiment_id: int, config: dict[str, Any]) -> None:
        """Replace the active config (``continue``); the original config text stays."""
        (original,) = self.db.execute(
            "SELECT c.original FROM experiments e JOIN exp_configs c ON c.id = e.config_id"
            " WHERE e.id = ?", (experiment_id,)).fetchone()
        self.db.execute("UPDATE experiments SET config_id = ? WHERE id = ?",
                        (self.add_config(config, original), experiment_id))

    def reopen_experiment(self, experiment_id: int) -> None:
        """What ``continue`` does to the row: ACTIVE again, no end time, progress 0."""
        self.db.execute("UPDATE experiments SET state = 'STATE_ACTIVE', end_time = NULL,"
                        " progress = 0 WHERE id = ?", (experiment_id,))

    def set_experiment_state(self, experiment_id: int, state: str) -> None:
        end = self.now() if state in TERMINAL_STATES else None
        progress_sql = ", progress = 1.0" if state == "STATE_COMPLETED" else ""
        self.db.execute(f"UPDATE experiments SET state = ?, end_time = ?{progress_sql}"
                        " WHERE id = ?", (state, end, experiment_id))
        self.webhook_experiment_state(experiment_id)  # type: ignore[attr-defined]

    def set_archived(self, experiment_id: int, archived: bool) -> None:
        exp = self.get_experiment(experiment_id)
        if archived and exp.state not in TERMINAL_STATES:
            raise BadRequest(f"experiment {experiment_id} is not in a terminal state")
        self.db.execute("UPDATE experiments SET archived = ? WHERE id = ?",
                        (int(archived), experiment_id))

    def set_deletion_state(self, experiment_id: int, state: str) -> None:
        """DELETING while its data goes, DELETE_FAILED if that failed (times kept)."""
        self.db.execute("UPDATE experiments SET state = ? WHERE id = ?", (state, experiment_id))

    def delete_experiment(self, experiment_id: int) -> None:
        """The experiment's rows: its trials with their metrics, checkpoints, logs and run
        metadata, its model definition, then itself (its files go first, in a GC task)."""
        exp = self.get_experiment(experiment_id)
        if exp.state not in TERMINAL_STATES and exp.state not in DELETION_STATES:
            raise BadRequest(f"experiment {experiment_id} is not in a terminal state")
        trial_ids = exp.trial_ids
        marks = ",".join("?" * len(trial_ids))
        if trial_ids:
            task_ids = [task_id for trial_id in trial_ids
                        for task_id in self.get_trial(trial_id).task_ids]  # type: ignore[attr-defined]
            self.db.execute(f"DELETE FROM task_logs WHERE task_id IN ({','.join('?' * len(task_ids))})",
                            task_ids)
            self.db.execute(f"DELETE FROM run_metadata WHERE run_id IN ({marks})", trial_ids)
            self.db.execute(f"DELETE FROM metrics WHERE trial_id IN ({marks})", trial_ids)
            self.db.execute(f"DELETE FROM checkpoints WHERE trial_id IN ({marks})", trial_ids)
            self.db.execute(f"DELETE FROM trials WHERE id IN ({marks})", trial_ids)
        (model_def_id,) = self.db.execute("SELECT model_def_id FROM experiments WHERE id = ?",
                                          (experiment_id,)).fetchone()
        self.db.execute("DELETE FROM experiments WHERE id = ?", (experiment_id,))
        self.db.execute("DELETE FROM model_defs WHERE id = ? AND NOT EXISTS (SELECT 1 FROM"
                        " experiments WHERE model_def_id = ?)", (model_def_id, model_def_id))
