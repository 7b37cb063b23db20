"""Trials, metric reports, checkpoints, logs and run metadata of ``StandinStore``."""
from __future__ import annotations

import bisect
import json
import sqlite3
from typing import Any, Callable, Iterator

from daist.standin.common.errors import BadRequest, NotFound
from daist.standin.state.exp_entities import Checkpoint, MetricReport, Trial
from daist.standin.state.summary import fold, is_better, summary_group
from daist.standin.common.wire import parse_iso

CHECKPOINT_STATES = ("STATE_ACTIVE", "STATE_COMPLETED", "STATE_ERROR", "STATE_DELETED",
                     "STATE_PARTIALLY_DELETED")
_TRIAL_SORT = {"SORT_BY_ID": "t.id", "SORT_BY_START_TIME": "t.start_time",
               "SORT_BY_END_TIME": "t.end_time", "SORT_BY_STATE": "t.state",
               "SORT_BY_BATCHES_PROCESSED": "t.total_batches", "SORT_BY_RESTARTS": "t.restarts",
               "SORT_BY_DURATION": "COALESCE(t.end_time, 1e12) - t.start_time"}


def _report(row: sqlite3.Row) -> MetricReport:
    return MetricReport(id=row["id"], trial_id=row["trial_id"], trial_run_id=row["trial_run_id"],
                        group=row["grp"], steps=row["steps"], values=json.loads(row["vals"]),
                        batch_metrics=None if row["batch"] is None else json.loads(row["batch"]),
                        report_time=row["report_time"], archived=bool(row["archived"]))


# Reads show restarts capped at max_restarts, as the master's trial query does (its count goes
# one past the limit when the trial fails for the last time).
_TRIAL_SQL = ("SELECT t.*, e.searcher_metric, MIN(t.restarts, COALESCE(json_extract(x.config,"
              " '$.max_restarts'), t.restarts)) AS shown_restarts FROM trials t"
              " JOIN experiments e ON e.id = t.experiment_id"
              " LEFT JOIN exp_configs x ON x.id = e.config_id")
_CHECKPOINT_SQL = (
    "SELECT c.*, t.experiment_id, t.hparams, e.config_id, x.config, e.searcher_metric,"
    " m.vals AS validation FROM checkpoints c LEFT JOIN trials t ON t.id = c.trial_id"
    " LEFT JOIN experiments e ON e.id = t.experiment_id"
    " LEFT JOIN exp_configs x ON x.id = e.config_id"
    " LEFT JOIN metrics m ON m.id = (SELECT MAX(v.id) FROM metrics v WHERE v.trial_id ="
    " c.trial_id AND v.grp = 'validation' AND v.steps = c.steps)")  # its step's validation


class TrialStore:
    db: sqlite3.Connection
    now: Callable[[], float]

    # -- trials ------------------------------------------------------------------------------
    def add_trial(self, *, experiment_id: int, hparams: dict[str, Any], task_id: str,
                  state: str = "STATE_QUEUED", warm_start: str | None = None) -> int:
        return self.db.execute(
            "INSERT INTO trials (experiment_id, hparams, state, start_time, task_id, warm_start)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (experiment_id, json.dumps(hparams), state, self.now(), task_id,
             warm_start)).lastrowid

    def _trial(self, row: sqlite3.Row) -> Trial:
        count, size = self.db.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM checkpoints"
                                      " WHERE trial_id = ? AND state != 'STATE_DELETED'",
                                      (row["id"],)).fetchone()
        return Trial(
            id=row["id"], experiment_id=row["experiment_id"], hparams=json.loads(row["hparams"]),
            state=row["state"], restarts=row["shown_restarts"], start_time=row["start_time"],
            end_time=row["end_time"], total_batches=row["total_batches"], task_id=row["task_id"],
            run_id=row["run_id"], summary_metrics=json.loads(row["summary"]),
            runner_state=row["runner_state"], metadata=json.loads(row["metadata"]),
            progress=row["progress"], latest_validation=self._metric(row["latest_val_id"]),
            best_validation=self._metric(row["best_val_id"]),
            best_checkpoint=self._maybe_checkpoint(row["best_ckpt"]),
            checkpoint_count=count, checkpoint_bytes=size, searcher_metric=row["searcher_metric"],
            warm_start=row["warm_start"], log_policy_matched=row["log_policy_matched"],
            prior_task_ids=tuple(json.loads(row["prior_task_ids"])))

    def require_trial(self, trial_id: int) -> None:
        """``NotFound`` unless the trial exists; far cheaper than ``get_trial``."""
        if self.db.execute("SELECT 1 FROM trials WHERE id = ?", (trial_id,)).fetchone() is None:
            raise NotFound(f"trial {trial_id} not found")

    def get_trial(self, trial_id: int) -> Trial:
        row = self.db.execute(_TRIAL_SQL + " WHERE t.id = ?", (trial_id,)).fetchone()
        if row is None:
            raise NotFound(f"trial {trial_id} not found")
        return self._trial(row)

    def trial_for_task(self, task_id: str) -> Trial | None:
        """The trial that runs or ran as ``task_id``."""
        row = self.db.execute(_TRIAL_SQL + " WHERE t.task_id = ? OR EXISTS (SELECT 1 FROM"
                              " json_each(t.prior_task_ids) WHERE value = ?)",
                              (task_id, task_id)).fetchone()
        return None if row is None else self._trial(row)

    def list_trials(self, experiment_id: int, *, states: list[str] | None = None,
                    sort_by: str = "SORT_BY_ID", descending: bool = False) -> list[Trial]:
        """All trials of one experiment; sorting by metric (SORT_BY_BEST_*) is by id."""
        self.require_experiment(experiment_id)  # type: ignore[attr-defined]
        where, args = "t.experiment_id = ?", [experiment_id]
        if states:
            where += f" AND t.state IN ({','.join('?' * len(states))})"
            args.extend(states)
        order = _TRIAL_SORT.get(sort_by, "t.id")
        direction = "DESC" if descending else "ASC"
        rows = self.db.execute(_TRIAL_SQL + f" WHERE {where}"
                               f" ORDER BY {order} {direction}, t.id {direction}", args).fetchall()
        return [self._trial(r) for r in rows]

    def best_trial_id(self, trial_ids: list[int], metric: str) -> int | None:
        """Of ``trial_ids``, the first whose best validation has the lowest numeric ``metric``,
        else the first id; None for no ids. One query; no trial is built."""
        if not trial_ids:
            return None
        marks = ",".join("?" * len(trial_ids))
        vals = dict(self.db.execute(
            "SELECT t.id, m.vals FROM trials t LEFT JOIN metrics m ON m.id = t.best_val_id"
            f" WHERE t.id IN ({marks})", trial_ids).fetchall())
        best, lowest = trial_ids[0], None
        for trial_id in trial_ids:
            text = vals.get(trial_id)
            value = None if text is None else json.loads(text).get(metric)
            if isinstance(value, (int, float)) and (lowest is None or value < lowest):
                best, lowest = trial_id, value
        return best

    def stored_restarts(self, trial_id: int) -> int:
        """The failure count as counted (reads show it capped at ``max_restarts``)."""
        row = self.db.execute("SELECT restarts FROM trials WHERE id = ?", (trial_id,)).fetchone()
        if row is None:
            raise NotFound(f"trial {trial_id} not found")
        return int(row[0])

    def trial_states(self, experiment_id: int) -> list[str]:
        """The states of one experiment's trials, by id (without building the trials)."""
        self.require_experiment(experiment_id)  # type: ignore[attr-defined]
        return [state for (state,) in self.db.execute(
            "SELECT state FROM trials WHERE experiment_id = ? ORDER BY id", (experiment_id,))]

    def update_trial(self, trial_id: int, **columns: Any) -> None:
        """Set raw columns (state, end_time, run_id, progress, runner_state, ...)."""
        if not columns:
            return
        sets = ", ".join(f"{name} = ?" for name in columns)
        self.db.execute(f"UPDATE trials SET {sets} WHERE id = ?", [*columns.values(), trial_id])

    def delete_trial(self, trial_id: int) -> None:
        """A run's delete: the trial with its metrics and checkpoints."""
        self.db.execute("DELETE FROM metrics WHERE trial_id = ?", (trial_id,))
        self.db.execute("DELETE FROM checkpoints WHERE trial_id = ?", (trial_id,))
        self.db.execute("DELETE FROM trials WHERE id = ?", (trial_id,))

    def set_trial_progress(self, trial_id: int, progress: float) -> None:
        """The trial's progress; its experiment's progress becomes the mean over its trials."""
        self.require_trial(trial_id)
        self.update_trial(trial_id, progress=progress)
        self.db.execute(
            "UPDATE experiments SET progress = (SELECT AVG(t.progress) FROM trials t"
            " WHERE t.experiment_id = experiments.id)"
            " WHERE id = (SELECT experiment_id FROM trials WHERE id = ?)", (trial_id,))

    def set_early_exit(self, trial_id: int, reason: str) -> None:
        """Record the trial's early exit; it may report one only once."""
        row = self.db.execute("SELECT early_exit FROM trials WHERE id = ?", (trial_id,)).fetchone()
        if row is None:
            raise NotFound(f"trial {trial_id} not found")
        if row[0]:
            raise BadRequest(f"trial {trial_id} already reported an early exit")
        self.update_trial(trial_id, early_exit=reason)

    # -- metrics -----------------------------------------------------------------------------
    def _metric(self, metric_id: int | None) -> MetricReport | None:
        if metric_id is None:
            return None
        row = self.db.execute("SELECT * FROM metrics WHERE id = ?", (metric_id,)).fetchone()
        return None if row is None else _report(row)

    def add_metrics(self, trial_id: int, *, group: str, body: dict[str, Any]) -> int:
        """Store one ``v1TrialMetrics`` report and fold it into the trial's summaries."""
        row = self.db.execute(
            "SELECT t.summary, t.total_batches, t.best_val_id, t.run_id, e.searcher_metric,"
            " e.smaller_is_better FROM trials t JOIN experiments e ON e.id = t.experiment_id"
            " WHERE t.id = ?", (trial_id,)).fetchone()
        if row is None:
            raise NotFound(f"trial {trial_id} not found")
        metrics = body.get("metrics")
        if not group or not isinstance(metrics, dict) or not isinstance(
                metrics.get("avgMetrics"), dict):
            raise BadRequest("metrics.avgMetrics must be an object and group must be set")
        values = metrics["avgMetrics"]
        steps = int(body.get("stepsCompleted") or 0)
        when = parse_iso(body.get("reportTime")) or self.now()
        batch = metrics.get("batchMetrics")
        metric_id = self.db.execute(
            "INSERT INTO metrics (trial_id, trial_run_id, grp, steps, vals, batch, report_time)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (trial_id, int(body.get("trialRunId") or row["run_id"]), group, steps,
             json.dumps(values), None if batch is None else json.dumps(batch), when)).lastrowid
        columns: dict[str, Any] = {
            "summary": json.dumps(fold(json.loads(row["summary"]), group, values)),
            "total_batches": max(row["total_batches"], steps),
        }
        if group == "validation":
            columns["latest_val_id"] = metric_id
            best = self._metric(row["best_val_id"])
            current = None if best is None else best.values.get(row["searcher_metric"])
            if best is None or is_better(values.get(row["searcher_metric"]), current,
                                         smaller_is_better=bool(row["smaller_is_better"])):
                columns["best_val_id"] = metric_id
        self.update_trial(trial_id, **columns)
        return metric_id

    def iter_metrics(self, trial_ids: list[int], *, group: str | None, chunk: int = 500,
                     steps: tuple[int, int] | None = None) -> Iterator[list[MetricReport]]:
        """Reports of the trials in id order, in chunks (one stream line per chunk); ``steps``
        (low, high) keeps reports in that batch range, filtered in SQL so a narrow read does
        not parse every report of a long trial."""
        marks = ",".join("?" * len(trial_ids))
        where, args = f"trial_id IN ({marks})", list(trial_ids)
        if group is not None:
            where, args = where + " AND grp = ?", [*args, group]
        if steps is not None:
            where, args = where + " AND steps BETWEEN ? AND ?", [*args, *steps]
        last = 0
        while True:
            rows = self.db.execute(f"SELECT * FROM metrics WHERE {where} AND id > ?"
                                   " ORDER BY id LIMIT ?", [*args, last, chunk]).fetchall()
            if not rows:
                return
            last = rows[-1]["id"]
            yield [_report(r) for r in rows]

    def metric_names(self, trial_ids: list[int]) -> dict[str, set[str]]:
        """Group -> metric names, read from the trials' summaries (cheap)."""
        names: dict[str, set[str]] = {}
        marks = ",".join("?" * len(trial_ids))
        for (text,) in self.db.execute(f"SELECT summary FROM trials WHERE id IN ({marks})",
                                       trial_ids):
            for key, bucket in json.loads(text).items():
                names.setdefault(summary_group(key), set()).update(bucket)
        return names

    # -- checkpoints -------------------------------------------------------------------------
    def _maybe_checkpoint(self, uuid: str | None) -> Checkpoint | None:
        if uuid is None:
            return None
        row = self.db.execute(_CHECKPOINT_SQL + " WHERE c.uuid = ?", (uuid,)).fetchone()
        return None if row is None else self._checkpoint(row)

    def _checkpoint(self, row: sqlite3.Row) -> Checkpoint:
        validation = None if row["validation"] is None else json.loads(row["validation"])
        searcher = None if validation is None else validation.get(row["searcher_metric"])
        return Checkpoint(
            uuid=row["uuid"], trial_id=row["trial_id"], experiment_id=row["experiment_id"],
            task_id=row["task_id"], allocation_id=row["allocation_id"], steps=row["steps"],
            report_time=row["report_time"], state=row["state"],
            resources=json.loads(row["resources"]), metadata=json.loads(row["metadata"]),
            storage_id=row["storage_id"],
            hparams=None if row["hparams"] is None else json.loads(row["hparams"]),
            experiment_config=None if row["config"] is None else self._config(  # type: ignore[attr-defined]
                row["config_id"], row["config"]),
            validation_metrics=validation,
            searcher_metric=searcher if isinstance(searcher, (int, float)) else None)

    def get_checkpoint(self, uuid: str) -> Checkpoint:
        checkpoint = self._maybe_checkpoint(uuid)
        if checkpoint is None:
            raise NotFound(f"checkpoint {uuid} not found")
        return checkpoint

    def add_checkpoint(self, body: dict[str, Any], *, trial_id: int | None) -> Checkpoint:
        uuid = body.get("uuid")
        if not uuid:
            raise BadRequest("checkpoint uuid is required")
        state = body.get("state") or "STATE_COMPLETED"
        if state not in CHECKPOINT_STATES:
            raise BadRequest(f"unknown checkpoint state {state!r}")
        resources = {str(k): str(v) for k, v in (body.get("resources") or {}).items()}
        metadata = body.get("metadata") or {}
        steps = int(metadata.get("steps_completed") or 0)
        size = sum(int(v) for v in resources.values() if str(v).isdigit())
        self.db.execute(
            "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (uuid, trial_id, body.get("taskId") or "", body.get("allocationId") or "", steps,
             parse_iso(body.get("reportTime")) or self.now(), state, json.dumps(resources),
             json.dumps(metadata), body.get("storageId"), size))
        if trial_id is not None:
            self.update_trial(trial_id, best_ckpt=uuid)
        return self.get_checkpoint(uuid)

    def list_checkpoints(self, *, trial_ids: list[int], states: list[str] | None = None,
                         descending: bool = False) -> list[Checkpoint]:
        """By report time; sortByAttr/sortByMetric are not implemented."""
        if not trial_ids:
            return []
        where = f"c.trial_id IN ({','.join('?' * len(trial_ids))})"
        args: list[Any] = list(trial_ids)
        if states:
            where += f" AND c.state IN ({','.join('?' * len(states))})"
            args.extend(states)
        direction = "DESC" if descending else "ASC"
        rows = self.db.execute(_CHECKPOINT_SQL + f" WHERE {where}"
                               f" ORDER BY c.report_time {direction}, c.uuid", args).fetchall()
        return [self._checkpoint(r) for r in rows]

    def set_checkpoint_metadata(self, uuid: str, metadata: dict[str, Any]) -> None:
        self.get_checkpoint(uuid)
        self.db.execute("UPDATE checkpoints SET metadata = ? WHERE uuid = ?",
                        (json.dumps(metadata), uuid))

    def checkpoints_to_gc(self, experiment_id: int, *, experiment_best: int, trial_best: int,
                          trial_latest: int) -> list[str]:
        """The experiment's checkpoints its GC policy lets go, by the master's rule: a
        checkpoint is kept while it is among the ``trial_latest`` newest (by steps) of its
        trial, or has a validation (of the searcher metric, at its steps) ranking within the
        ``experiment_best`` of the experiment or the ``trial_best`` of its trial. Ranks are
        SQL ``rank()`` (ties share one); checkpoints a trial warm-starts from and those in the
        model registry are never let go."""
        rows = self.db.execute(
            "SELECT c.uuid, c.trial_id, c.steps, m.id AS val_id, m.vals, e.searcher_metric,"
            " e.smaller_is_better FROM checkpoints c JOIN trials t ON t.id = c.trial_id"
            " JOIN experiments e ON e.id = t.experiment_id"
            " LEFT JOIN metrics m ON m.id = (SELECT MAX(v.id) FROM metrics v WHERE v.trial_id ="
            " c.trial_id AND v.grp = 'validation' AND v.steps = c.steps)"
            " WHERE t.experiment_id = ?"
            " AND c.uuid NOT IN (SELECT warm_start FROM trials WHERE warm_start IS NOT NULL)"
            " AND c.uuid NOT IN (SELECT checkpoint_uuid FROM model_versions)"
            " ORDER BY c.uuid", (experiment_id,)).fetchall()
        entries = []
        for row in rows:
            value = None if row["vals"] is None else json.loads(row["vals"]).get(row["searcher_metric"])
            metric = float(value) if isinstance(value, (int, float)) else None
            sign = 1 if row["smaller_is_better"] else -1
            # ORDER BY sign * metric NULLS LAST, then the validation's id
            order = (metric is None, 0.0 if metric is None else sign * metric, row["val_id"] or 0)
            entries.append((row["uuid"], row["trial_id"], -row["steps"], metric, order))
        by_experiment = sorted(e[4] for e in entries)
        by_trial: dict[int, list[Any]] = {}
        newest: dict[int, list[int]] = {}
        for _, trial_id, minus_steps, _, order in entries:
            by_trial.setdefault(trial_id, []).append(order)
            newest.setdefault(trial_id, []).append(minus_steps)
        for lists in (by_trial, newest):
            for values in lists.values():
                values.sort()

        def rank(ordered: list[Any], key: Any) -> int:  # SQL rank(): ties share the lowest
            return bisect.bisect_left(ordered, key) + 1

        out = []
        for uuid, trial_id, minus_steps, metric, order in entries:
            outside_best = (rank(by_experiment, order) > experiment_best
                            and rank(by_trial[trial_id], order) > trial_best)
            if (outside_best or metric is None) and rank(newest[trial_id], minus_steps) > trial_latest:
                out.append(uuid)
        return out

    def patch_checkpoints(self, patches: list[dict[str, Any]]) -> None:
        """PatchCheckpoints as the master applies it (a GC task reports what it left): a
        patch with ``resources`` replaces the file map and size; an empty map makes the
        checkpoint DELETED, a changed one PARTIALLY_DELETED. Unknown uuids: 404."""
        for patch in patches:
            current = self.get_checkpoint(str(patch.get("uuid")))
            resources = (patch.get("resources") or {}).get("resources")
            if resources is None:
                continue
            if not isinstance(resources, dict):
                raise BadRequest("resources must map file names to sizes")
            if not resources:
                self.db.execute("UPDATE checkpoints SET state = 'STATE_DELETED' WHERE uuid = ?",
                                (current.uuid,))
                continue
            new = {str(k): str(v) for k, v in resources.items()}
            old = dict(current.resources)
            if "metadata.json" in new:  # older checkpoints did not list it
                old.setdefault("metadata.json", new["metadata.json"])
            state = "STATE_PARTIALLY_DELETED" if new != old else current.state
            size = sum(int(v) for v in new.values() if v.isdigit())
            self.db.execute("UPDATE checkpoints SET resources = ?, state = ?, size = ? WHERE uuid = ?",
                            (json.dumps(new), state, size, current.uuid))

    # -- logs and run metadata ---------------------------------------------------------------
    def add_logs(self, *, task_id: str, allocation_id: str,
                 lines: list[tuple[float, str, str]]) -> None:
        """``lines`` are (timestamp, stdtype, text); stderr lines are logged at ERROR level."""
        self.db.executemany(
            "INSERT INTO task_logs (task_id, allocation_id, timestamp, stdtype, level, log)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(task_id, allocation_id, ts, kind,
              "LOG_LEVEL_ERROR" if kind == "stderr" else "LOG_LEVEL_INFO", text)
             for ts, kind, text in lines])
        self.webhook_task_logs(task_id, [text for _, _, text in lines])  # type: ignore[attr-defined]

    def continue_as_new_task(self, trial_id: int) -> str:
        """The master's continue: the trial runs as a new task, ``<current>-<tasks so far>``."""
        trial = self.get_trial(trial_id)
        new_task_id = f"{trial.task_id}-{len(trial.task_ids)}"
        self.update_trial(trial_id, task_id=new_task_id, prior_task_ids=json.dumps(trial.task_ids))
        return new_task_id

    def list_logs(self, task_ids: list[str], *, after_id: int = 0, limit: int = 0,
                  descending: bool = False) -> list[sqlite3.Row]:
        """Raw log rows of these tasks; only limit/orderBy/follow of the log filters are
        implemented here."""
        marks = ",".join("?" * len(task_ids)) or "NULL"
        sql = (f"SELECT * FROM task_logs WHERE task_id IN ({marks}) AND id > ? ORDER BY id "
               f"{'DESC' if descending else 'ASC'}")
        args: list[Any] = [*task_ids, after_id]
        if limit > 0:
            sql, args = sql + " LIMIT ?", [*args, limit]
        return self.db.execute(sql, args).fetchall()

    def get_run_metadata(self, run_id: int) -> dict[str, Any]:
        self.require_trial(run_id)
        row = self.db.execute("SELECT metadata FROM run_metadata WHERE run_id = ?",
                              (run_id,)).fetchone()
        return {} if row is None else json.loads(row[0])

    def post_run_metadata(self, run_id: int, metadata: dict[str, Any]) -> dict[str, Any]:
        merged = {**self.get_run_metadata(run_id), **metadata}
        self.db.execute("INSERT OR REPLACE INTO run_metadata VALUES (?, ?)",
                        (run_id, json.dumps(merged)))
        return merged
