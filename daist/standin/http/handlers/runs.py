"""Handler: POST /api/v1/runs (SearchRuns), the flat-runs view of trials.

Implemented: ``projectId`` (body or query), ``offset``/``limit`` (0 = 100), and a ``filter``
JSON string (body or query) whose ``filterGroup`` holds hyperparameter fields (``hp.NAME``
or, as the master takes run hyperparameters, ``NAME``)
and run columns (``id``, ``localId``, ``experimentId``, ``state``, ``experimentName``,
``searcherType``, ``resourcePool``, ``projectId``), operators ``< <= > >= = !=`` plus
``contains``/``notContains``/``isEmpty``/``notEmpty``, conjunction and/or, nested groups,
and ``showArchived``. Other columns and ``sort`` are not implemented (they match all/id).
The run actions (kill, pause, ...) live in ``handlers_run_actions`` and share this filter.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.common.errors import BadRequest
from daist.standin.http.reqs import body
from daist.standin.common.wire import Page, int64, iso

Json = dict[str, Any]
_OPERATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "=", "!=": "!="}
_HP_LOCATIONS = ("LOCATION_TYPE_HYPERPARAMETERS", "LOCATION_TYPE_RUN_HYPERPARAMETERS")
_RUN_COLUMNS = {"id": "t.id", "localId": "t.id", "experimentId": "e.id", "state": "t.state",
                "experimentName": "e.name", "searcherType": "e.searcher_type",
                "resourcePool": "e.resource_pool", "projectId": "e.project_id",
                "experimentDescription": "e.description"}
RUNS_FROM = (" FROM trials t JOIN experiments e ON e.id = t.experiment_id"
             " JOIN projects p ON p.id = e.project_id JOIN workspaces w ON w.id = p.workspace_id")


def _column_clause(column: str, operator: Any, value: Any, args: list[Any]) -> str:
    if column == "t.state" and isinstance(value, str) and not value.startswith("STATE_"):
        value = "STATE_" + value  # the web UI filters by the model state name
    if operator == "isEmpty":
        return f"({column} IS NULL OR {column} = '')"
    if operator == "notEmpty":
        return f"({column} IS NOT NULL AND {column} != '')"
    if operator in ("contains", "notContains"):
        args.append(f"%{value}%")
        return f"CAST({column} AS TEXT) {'NOT ' if operator == 'notContains' else ''}LIKE ?"
    sql_op = _OPERATORS.get(str(operator))
    if sql_op is None:
        return ""
    args.append(value)
    return f"{column} {sql_op} ?"


def _clause(node: Any, args: list[Any]) -> str:
    if not isinstance(node, dict):
        raise BadRequest("filter nodes must be objects")
    if node.get("kind") == "group":
        parts = [_clause(child, args) for child in node.get("children") or []]
        parts = [p for p in parts if p]
        joiner = " OR " if node.get("conjunction") == "or" else " AND "
        return f"({joiner.join(parts)})" if parts else ""
    column = str(node.get("columnName") or "")
    if node.get("location") not in _HP_LOCATIONS and column in _RUN_COLUMNS:
        return _column_clause(_RUN_COLUMNS[column], node.get("operator"), node.get("value"), args)
    operator = _OPERATORS.get(str(node.get("operator")))
    if node.get("location") not in _HP_LOCATIONS or operator is None:
        return ""
    name = column.removeprefix("hp.")  # the master takes a run hyperparameter with or without it
    if not name:
        return ""
    path = "$." + ".".join(json.dumps(p) for p in name.split("."))
    args.extend([path, node.get("value")])
    return f"json_extract(t.hparams, ?) {operator} ?"


def parse_filter(raw: Any) -> tuple[str, list[Any], bool]:
    if raw in (None, ""):
        return "", [], False
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        raise BadRequest("filter must be a JSON string") from None
    if not isinstance(data, dict):
        raise BadRequest("filter must be a JSON object")
    args: list[Any] = []
    clause = _clause(data.get("filterGroup") or {"kind": "group", "children": []}, args)
    return clause, args, bool(data.get("showArchived"))


def _flat_run(row: Any) -> Json:
    summary = json.loads(row["summary"])
    duration = None if row["end_time"] is None else int((row["end_time"] - row["start_time"]) * 1000)
    return {
        "id": row["id"], "startTime": iso(row["start_time"]), "endTime": iso(row["end_time"]),
        "state": row["state"], "labels": json.loads(row["labels"]),
        "checkpointSize": int64(row["ckpt_size"]), "checkpointCount": row["ckpt_count"],
        "searcherMetricValue": None, "externalRunId": None,
        "hyperparameters": json.loads(row["hparams"]), "summaryMetrics": summary,
        "userId": row["user_id"], "duration": duration, "projectId": row["project_id"],
        "projectName": row["project_name"], "workspaceId": row["workspace_id"],
        "workspaceName": row["workspace_name"], "parentArchived": False,
        "experiment": {
            "id": row["experiment_id"], "searcherType": row["searcher_type"],
            "searcherMetric": row["searcher_metric"], "externalExperimentId": None,
            "resourcePool": row["resource_pool"], "name": row["name"],
            "description": row["description"], "unmanaged": False, "progress": row["exp_progress"],
            "forkedFrom": None, "pachydermIntegration": None,
            "isMultitrial": row["num_trials"] > 1},
        "archived": bool(row["exp_archived"] or row["run_archived"]), "localId": str(row["id"]),
        "logPolicyMatched": row["log_policy_matched"],
        "metadata": None,
    }


async def search_runs(backend: Backend, request: web.Request) -> Json:
    data = await body(request)
    data = data if isinstance(data, dict) else {}
    project = data.get("projectId") or request.query.get("projectId")
    clause, args, show_archived = parse_filter(data.get("filter") or request.query.get("filter"))
    where = ["1 = 1"]
    if project:
        where.append("e.project_id = ?")
        args.insert(0, int(project))
    if clause:
        where.append(clause)
    if not show_archived:
        where.append("e.archived = 0 AND t.archived = 0")
    sql_from = RUNS_FROM + f" WHERE {' AND '.join(where)}"
    db = backend.store.db
    (total,) = db.execute("SELECT COUNT(*)" + sql_from, args).fetchone()
    page = Page.of(total=total, offset=int(data.get("offset") or 0), limit=int(data.get("limit") or 100))
    rows = db.execute(
        "SELECT t.*, t.archived AS run_archived, e.project_id, e.user_id, e.labels,"
        " e.searcher_type, e.searcher_metric,"
        " e.resource_pool, e.name, e.description, e.archived AS exp_archived,"
        " e.progress AS exp_progress,"
        " p.name AS project_name, p.workspace_id, w.name AS workspace_name,"
        " (SELECT COUNT(*) FROM trials x WHERE x.experiment_id = e.id) AS num_trials,"
        " (SELECT COUNT(*) FROM checkpoints c WHERE c.trial_id = t.id) AS ckpt_count,"
        " (SELECT COALESCE(SUM(size), 0) FROM checkpoints c WHERE c.trial_id = t.id) AS ckpt_size"
        + sql_from + " ORDER BY t.id LIMIT ? OFFSET ?",
        [*args, page.end - page.start, page.start]).fetchall()
    return {"runs": [_flat_run(r) for r in rows], "pagination": page.to_dict()}
