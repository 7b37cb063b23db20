"""The endpoint catalogue: every REST call the load tests make, as data.

The read-only mix is the original daist ``TestRO`` list (same ``test_name``s: they join the
historical perf-results rows), corrected for Determined 0.38.1:

- RBAC: ``/api/v1/permissions/summary`` (was ``permissions-summary``); groups/search,
  roles/search and roles/search/by-assignability are POSTs; ``roles-search`` does not exist.
- ``/api/v1/experiments/{id}/searcher_events`` is gone in 0.38.1 and is left out.
- ``search flat runs w/ hparam`` sends its filter in the body (the original put it in the query
  string of a POST whose body is ``*``, so the master never saw it).
- Booleans go out as ``true``/``false`` (the original sent Python's ``True``).
- The three checkpoint calls, unnamed in the original (their URL was the name), get names.

POSTs that only read (searches, the model-definition file) stay in the read-only mix; their
``note`` says so. Write calls touch only objects the users create themselves (``own_*``).
"""
from __future__ import annotations

import json

from daist.rest_api.endpoints import EndpointTask as E

READS_ONLY = "a POST that only reads"
RUNS_HPARAM_FILTER = json.dumps({
    "filterGroup": {"children": [{"columnName": "hp.global_batch_size", "kind": "field",
                                  "location": "LOCATION_TYPE_HYPERPARAMETERS", "operator": "<=",
                                  "type": "COLUMN_TYPE_NUMBER", "value": 60}],
                    "conjunction": "and", "kind": "group"},
    "showArchived": False}).replace("{", "{{").replace("}", "}}")
NO_SORT = (("sortBy", "SORT_BY_UNSPECIFIED"), ("orderBy", "ORDER_BY_UNSPECIFIED"))
SESSION = ()  # made by every user outside the task mix

CATALOGUE: tuple[E, ...] = (
    # -- session ---------------------------------------------------------------------------
    E("login", "POST", "/api/v1/auth/login", "write", mixes=SESSION,
      body={"username": "{user_name}", "password": "{password}"}),
    E("logout", "POST", "/api/v1/auth/logout", "write", mixes=SESSION),
    # -- cluster and user (no resource needed) --------------------------------------------
    E("get master configuration", "GET", "/api/v1/master", "get", weight=2),
    E("get master config file", "GET", "/api/v1/master/config", "get"),
    E("get agents", "GET", "/api/v1/agents", "list"),
    E("get workspaces", "GET", "/api/v1/workspaces", "list"),
    E("get user settings", "GET", "/api/v1/users/setting", "get"),
    E("get resource pools", "GET", "/api/v1/resource-pools", "list"),
    E("get users", "GET", "/api/v1/users", "list"),
    E("get models", "GET", "/api/v1/models", "list"),
    E("get telemetry", "GET", "/api/v1/master/telemetry", "get"),
    E("get tensorboards", "GET", "/api/v1/tensorboards", "list"),
    E("get shells", "GET", "/api/v1/shells", "list"),
    E("get notebooks", "GET", "/api/v1/notebooks", "list"),
    E("get commands", "GET", "/api/v1/commands", "list"),
    E("get job queues", "GET", "/api/v1/job-queues", "list"),
    E("get job queue stats", "GET", "/api/v1/job-queues/stats", "list"),
    E("get user activity", "GET", "/api/v1/user/projects/activity", "list"),
    E("get webhooks", "GET", "/api/v1/webhooks", "list"),
    E("get model labels", "GET", "/api/v1/model/labels", "list"),
    E("get tasks", "GET", "/api/v1/tasks", "list"),
    E("get task count", "GET", "/api/v1/tasks/count", "get"),
    E("get experiments", "GET", "/api/v1/experiments", "list", params=(("showTrialData", True),),
      weight=3),
    E("get master logs", "GET", "/api/v1/master/logs", "list",
      params=(("offset", -1), ("limit", 0))),
    E("get authenticated user", "GET", "/api/v1/auth/user", "get"),
    E("get me", "GET", "/api/v1/me", "get"),
    E("get experiment labels", "GET", "/api/v1/experiment/labels", "list"),
    E("get templates", "GET", "/api/v1/templates", "list"),
    E("get resource allocations", "GET", "/api/v1/resources/allocation/aggregated", "search",
      params=(("start_date", "2000-01-01"), ("end_date", "{today}"),
              ("period", "RESOURCE_ALLOCATION_AGGREGATION_PERIOD_DAILY")),
      note="the original's snake_case keys (the master takes both spellings)"),
    E("search flat runs w/ hparam", "POST", "/api/v1/runs", "search",
      body={"filter": RUNS_HPARAM_FILTER}, weight=2, note=READS_ONLY),
    # -- users and resource pools ------------------------------------------------------------
    E("get user by ID", "GET", "/api/v1/users/{user_id}", "get"),
    E("get user by username", "GET", "/api/v1/users/{user_name}/by-username", "get"),
    E("get workspace bindings", "GET", "/api/v1/resource-pools/{resource_pool}/workspace-bindings",
      "list"),
    E("get v2 job queue", "GET", "/api/v1/job-queues-v2", "list",
      params=(("resourcePool", "{resource_pool}"),)),
    # -- projects ------------------------------------------------------------------------------
    E("get project", "GET", "/api/v1/projects/{project_id}", "get"),
    E("get project metric ranges", "GET", "/api/v1/projects/{project_id}/experiments/metric-ranges",
      "search"),
    E("search experiments", "POST", "/api/v1/experiments-search", "search",
      body={"projectId": "{project_id}"}, weight=3, note=READS_ONLY),
    E("get project columns", "GET", "/api/v1/projects/{project_id}/columns", "search",
      note="known slow on large databases (DET-10114); off in the original unless SCALE_33"),
    E("search flat runs", "POST", "/api/v1/runs", "search", body={"projectId": "{project_id}"},
      weight=3, note=READS_ONLY),
    # -- workspaces ----------------------------------------------------------------------------
    E("get workspace tensorboards", "GET", "/api/v1/tensorboards", "list",
      params=(*NO_SORT, ("workspaceId", "{workspace_id}"))),
    E("get workspace shells", "GET", "/api/v1/shells", "list",
      params=(*NO_SORT, ("workspaceId", "{workspace_id}"))),
    E("get workspace notebooks", "GET", "/api/v1/notebooks", "list",
      params=(("limit", 1000), ("workspaceId", "{workspace_id}"))),
    E("shells", "GET", "/api/v1/shells", "list",
      params=(("limit", 1000), ("workspaceId", "{workspace_id}")),
      note='was "get workspace commands" in k6'),
    E("get workspace projects", "GET", "/api/v1/workspaces/{workspace_id}/projects", "list"),
    E("get available workspace resource pools", "GET",
      "/api/v1/workspaces/{workspace_id}/available-resource-pools", "list"),
    E("get workspace model labels", "GET", "/api/v1/model/labels", "list",
      params=(("workspaceId", "{workspace_id}"),)),
    E("get workspace", "GET", "/api/v1/workspaces/{workspace_id}", "get"),
    # -- model registry ----------------------------------------------------------------------
    E("get model", "GET", "/api/v1/models/{model_name}", "get"),
    E("get model versions", "GET", "/api/v1/models/{model_name}/versions", "list"),
    E("get model version", "GET", "/api/v1/models/{model_name}/versions/{model_version}", "get"),
    E("get model metrics", "GET", "/api/v1/models/{model_name}/versions/{model_version}/metrics",
      "list"),
    # -- trials --------------------------------------------------------------------------------
    E("get trial", "GET", "/api/v1/trials/{trial_id}", "get", weight=2),
    E("get trial workloads", "GET", "/api/v1/trials/{trial_id}/workloads", "list"),
    E("get trial log fields", "GET", "/api/v1/trials/{trial_id}/logs/fields", "get",
      note='was "get trial logs" in k6'),
    E("get trials time series", "GET", "/api/v1/trials/time-series", "search",
      params=(("trialIds", "{trial_id}"), ("startBatches", 0),
              ("metricType", "METRIC_TYPE_UNSPECIFIED")), weight=2),
    E("get trial checkpoints", "GET", "/api/v1/trials/{trial_id}/checkpoints", "list"),
    E("get trial metrics", "GET", "/api/v1/trials/{trial_id}/profiler/metrics", "list"),
    E("get logs by trial", "GET", "/api/v1/trials/{trial_id}/logs", "list"),
    E("get profiler available series", "GET", "/api/v1/trials/{trial_id}/profiler/available_series",
      "list"),
    E("get training metrics", "GET", "/api/v1/trials/metrics/training_metrics", "list",
      params=(("trialIds", "{trial_id}"),)),
    E("get validation metrics", "GET", "/api/v1/trials/metrics/validation_metrics", "list",
      params=(("trialIds", "{trial_id}"),)),
    E("get trial metrics 2", "GET", "/api/v1/trials/metrics/trial_metrics", "list",
      params=(("trialIds", "{trial_id}"), ("group", "training"))),
    # -- experiments ---------------------------------------------------------------------------
    E("get experiment", "GET", "/api/v1/experiments/{experiment_id}", "get", weight=2),
    E("get experiment metric names", "GET", "/api/v1/experiments/metrics-stream/metric-names",
      "list", params=(("ids", "{experiment_id}"),)),
    E("get experiment trials", "GET", "/api/v1/experiments/{experiment_id}/trials", "list"),
    E("get experiment file tree", "GET", "/api/v1/experiments/{experiment_id}/file_tree", "get"),
    E("get experiment model definition", "GET", "/api/v1/experiments/{experiment_id}/model_def",
      "get"),
    E("get experiment best searcher validation metric", "GET",
      "/api/v1/experiments/{experiment_id}/searcher/best_searcher_validation_metric", "get"),
    E("get experiment validation history", "GET",
      "/api/v1/experiments/{experiment_id}/validation-history", "list"),
    E("get experiment file", "GET", "/experiments/{experiment_id}/file/download", "get",
      params=(("path", "{experiment_file}"),), note="not under /api/v1"),
    E("put experiment file", "POST", "/api/v1/experiments/{experiment_id}/file", "get",
      body={"experimentId": "{experiment_id}", "path": "{experiment_file}"}, note=READS_ONLY),
    E("get experiment checkpoints", "GET", "/api/v1/experiments/{experiment_id}/checkpoints",
      "list", mixes=("checkpoints",),
      note="made determined 0.34.0 hang (SCALE-32): its own test, TestExperimentCheckpoints"),
    # -- checkpoints ---------------------------------------------------------------------------
    E("get checkpoint download", "GET", "/checkpoints/{checkpoint_uuid}", "get",
      note="not under /api/v1; a tar of the checkpoint files"),
    E("get checkpoint", "GET", "/api/v1/checkpoints/{checkpoint_uuid}", "get"),
    E("get checkpoint metrics", "GET", "/api/v1/checkpoints/{checkpoint_uuid}/metrics", "list"),
    # -- tasks and templates ---------------------------------------------------------------------
    E("get task", "GET", "/api/v1/tasks/{task_id}", "get"),
    E("get task log fields", "GET", "/api/v1/tasks/{task_id}/logs/fields", "get"),
    E("get task logs", "GET", "/api/v1/tasks/{task_id}/logs", "list"),
    E("get task accelerator data", "GET", "/api/v1/tasks/{task_id}/acceleratorData", "get"),
    E("get task config", "GET", "/api/v1/tasks/{task_id}/config", "get"),
    E("get task context directory", "GET", "/api/v1/tasks/{task_id}/context_directory", "get"),
    E("get template", "GET", "/api/v1/templates/{template_name}", "get"),
    # -- RBAC (only when the master says rbacEnabled) --------------------------------------------
    E("get permissions summary", "GET", "/api/v1/permissions/summary", "get", needs=("rbac",)),
    E("search groups", "POST", "/api/v1/groups/search", "search", body={"limit": 100},
      needs=("rbac",), note=READS_ONLY),
    E("get roles by assignability", "POST", "/api/v1/roles/search/by-assignability", "search",
      body={"workspaceId": "{workspace_id}", "limit": 100}, needs=("rbac",), note=READS_ONLY),
    E("search roles", "POST", "/api/v1/roles/search", "search", body={"limit": 100},
      needs=("rbac",), note=READS_ONLY),
    E("search by user ID", "GET", "/api/v1/roles/search/by-user/{user_id}", "search",
      needs=("rbac",)),
    E("get workspace roles", "GET", "/api/v1/roles/workspace/{workspace_id}", "list",
      needs=("rbac",)),
    E("get group", "GET", "/api/v1/groups/{group_id}", "get", needs=("rbac",)),
    E("search roles by group", "GET", "/api/v1/roles/search/by-group/{group_id}", "search",
      needs=("rbac",)),
    # -- writes on the users' own objects (read/write mix) ---------------------------------------
    E("create project", "POST", "/api/v1/workspaces/{workspace_id}/projects", "write",
      body={"name": "{own_prefix}-p{seq}", "workspaceId": "{workspace_id}"}, mixes=("rw",),
      note="creates own_project_id (response project.id)"),
    E("patch project", "PATCH", "/api/v1/projects/{own_project_id}", "write",
      body={"description": "daist load test {seq}"}, mixes=("rw",), weight=2),
    E("add project note", "POST", "/api/v1/projects/{own_project_id}/notes", "write",
      body={"name": "note {seq}", "contents": "written by daist"}, mixes=("rw",)),
    E("put project notes", "PUT", "/api/v1/projects/{own_project_id}/notes", "write",
      body={"projectId": "{own_project_id}",
            "notes": [{"name": "daist", "contents": "replaced {seq}"}]}, mixes=("rw",)),
    E("delete project", "DELETE", "/api/v1/projects/{own_project_id}", "write", mixes=("rw",),
      note="consumes own_project_id"),
    E("create model", "POST", "/api/v1/models", "write",
      body={"name": "{own_prefix}-m{seq}", "workspaceId": "{workspace_id}",
            "labels": ["daist"]}, mixes=("rw",), note="creates own_model_name (model.name)"),
    E("patch model", "PATCH", "/api/v1/models/{own_model_name}", "write",
      body={"labels": ["daist", "label-{seq}"], "description": "daist {seq}"}, mixes=("rw",),
      weight=2),
    E("create model version", "POST", "/api/v1/models/{own_model_name}/versions", "write",
      body={"modelName": "{own_model_name}", "checkpointUuid": "{checkpoint_uuid}"},
      mixes=("rw",)),
    E("delete model", "DELETE", "/api/v1/models/{own_model_name}", "write", mixes=("rw",),
      note="consumes own_model_name"),
)

CREATES = {"create project": ("own_project_id", ("project", "id")),
           "create model": ("own_model_name", ("model", "name"))}
"""Which own resource a create call yields, and where it is in the response."""
DELETES = {"delete project": "own_project_id", "delete model": "own_model_name"}
"""Which own resource a delete call uses up."""
RUNTIME = frozenset({"today", "seq", "password", "own_prefix", "own_project_id", "own_model_name"})
"""Values each user supplies itself; discovery never has to find them."""


def by_name(test_name: str) -> E:
    for task in CATALOGUE:
        if task.test_name == test_name:
            return task
    raise KeyError(f"no catalogue endpoint named {test_name!r}")

STREAM, BYTES = "<stream>", "<bytes>"
ANSWERS: dict[str, str] = {
    "login": "token", "logout": "",
    "get master configuration": "version", "get master config file": "config",
    "get agents": "agents", "get workspaces": "workspaces", "get user settings": "settings",
    "get resource pools": "", "get users": "", "get models": "models", "get telemetry": "enabled",
    "get tensorboards": "tensorboards", "get shells": "shells", "get notebooks": "notebooks",
    "get commands": "commands", "get job queues": "jobs", "get job queue stats": "results",
    "get user activity": "", "get webhooks": "webhooks", "get model labels": "labels",
    "get tasks": "", "get task count": "commands", "get experiments": "experiments",
    "get master logs": STREAM, "get authenticated user": "user", "get me": "user",
    "get experiment labels": "", "get templates": "templates",
    "get resource allocations": "resourceEntries", "search flat runs w/ hparam": "runs",
    "get user by ID": "user", "get user by username": "user", "get workspace bindings": "",
    "get v2 job queue": "jobs", "get project": "project", "get project metric ranges": "",
    "search experiments": "experiments", "get project columns": "columns",
    "search flat runs": "runs", "get workspace tensorboards": "tensorboards",
    "get workspace shells": "shells", "get workspace notebooks": "notebooks", "shells": "shells",
    "get workspace projects": "projects", "get available workspace resource pools": "",
    "get workspace model labels": "labels", "get workspace": "workspace", "get model": "model",
    "get model versions": "modelVersions", "get model version": "modelVersion",
    "get model metrics": "metrics", "get trial": "trial", "get trial workloads": "workloads",
    "get trial log fields": STREAM, "get trials time series": "trials",
    "get trial checkpoints": "checkpoints", "get trial metrics": STREAM,
    "get logs by trial": STREAM, "get profiler available series": STREAM,
    "get training metrics": STREAM, "get validation metrics": STREAM,
    "get trial metrics 2": STREAM, "get experiment": "experiment",
    "get experiment metric names": STREAM, "get experiment trials": "trials",
    "get experiment file tree": "", "get experiment model definition": "b64Tgz",
    "get experiment best searcher validation metric": "",
    "get experiment validation history": "", "get experiment file": BYTES,
    "put experiment file": "", "get experiment checkpoints": "checkpoints",
    "get checkpoint download": BYTES, "get checkpoint": "checkpoint",
    "get checkpoint metrics": "metrics", "get task": "task", "get task log fields": STREAM,
    "get task logs": STREAM, "get task accelerator data": "acceleratorData",
    "get task config": "config", "get task context directory": "b64Tgz",
    "get template": "template", "get permissions summary": "roles", "search groups": "",
    "get roles by assignability": "", "search roles": "roles", "search by user ID": "roles",
    "get workspace roles": "assignments", "get group": "group",
    "search roles by group": "roles", "create project": "project", "patch project": "project",
    "add project note": "notes", "put project notes": "notes", "delete project": "completed",
    "create model": "model", "patch model": "model", "create model version": "modelVersion",
    "delete model": "",
}
"""What a 2xx answer of each endpoint must be: the top-level key Determined 0.38.1's bindings
require (``from_json`` reads ``obj[key]``); "" a JSON object whose fields are all optional;
STREAM newline-delimited ``{"result": ...}`` objects (possibly none); BYTES a file, not JSON."""
