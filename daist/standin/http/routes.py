"""Every route of the stand-in as data: method + path pattern -> handler.

Path patterns use aiohttp syntax; named groups reach the handler as keyword arguments.
Order matters where patterns overlap (fixed segments before ``{id}``). ``public`` routes need
no token. The control routes live under /standin/: reads are public, changes need an admin.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from daist.standin.http.handlers import admin
from daist.standin.http.handlers import auth
from daist.standin.http.handlers import cluster
from daist.standin.http.handlers import commands
from daist.standin.http.handlers import config_policies as policies
from daist.standin.http.handlers import debug
from daist.standin.http.handlers import experiments as exp
from daist.standin.http.handlers import files
from daist.standin.http.handlers import lifecycle
from daist.standin.http.handlers import metrics
from daist.standin.http.handlers import org
from daist.standin.http.handlers import rbac
from daist.standin.http.handlers import registry
from daist.standin.http.handlers import run_actions
from daist.standin.http.handlers import runs
from daist.standin.http.handlers import tasks
from daist.standin.http.handlers import trial_api
from daist.standin.http.handlers import unmanaged
from daist.standin.http.handlers import users


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable[..., Any]
    public: bool = False


N = r"{%s:\d+}"  # an integer path segment
V1 = "/api/v1"


def _r(method: str, path: str, handler: Callable[..., Any], *, public: bool = False) -> Route:
    return Route(method, path, handler, public)


def _command_routes() -> list[Route]:
    plural = {"command": "commands", "notebook": "notebooks", "shell": "shells",
              "tensorboard": "tensorboards"}
    out = []
    for kind, path in plural.items():
        out.append(_r("GET", f"{V1}/{path}", tasks.LIST_HANDLERS[kind]))
        out.append(_r("GET", f"{V1}/{path}/{{{kind}Id}}", tasks.GET_HANDLERS[kind]))
        if kind == "command":
            out.append(_r("POST", f"{V1}/{path}", commands.launch_command))
            out.append(_r("POST", f"{V1}/{path}/{{{kind}Id}}/kill", commands.kill_command))
        else:
            out.append(_r("POST", f"{V1}/{path}", commands.needs_containers))
            out.append(_r("POST", f"{V1}/{path}/{{{kind}Id}}/kill", commands.needs_containers))
    return out


ROUTES: list[Route] = [
    # -- control (outside /api/v1, never faulted; reads public, changes need an admin) --------
    _r("GET", "/standin/health", admin.health, public=True),
    _r("GET", "/standin/counts", admin.counts, public=True),
    _r("POST", "/standin/reset", admin.reset),
    _r("GET", "/standin/faults", admin.get_faults, public=True),
    _r("PUT", "/standin/faults", admin.put_faults),
    _r("POST", "/standin/faults", admin.post_fault),
    _r("DELETE", "/standin/faults", admin.delete_faults),
    _r("POST", "/standin/tokens/expire", admin.expire_tokens),
    _r("POST", "/standin/allocations/{allocationId}/preempt", admin.preempt),
    # -- the master's debug endpoints (authenticated; never faulted) ------------------------
    _r("GET", "/debug/prom/metrics", debug.prom_metrics),
    _r("GET", "/debug/pprof/profile", debug.pprof_profile),
    # -- cluster -----------------------------------------------------------------------------
    _r("GET", "/info", cluster.info, public=True),
    _r("GET", f"{V1}/master", cluster.master, public=True),
    _r("GET", f"{V1}/master/config", cluster.master_config),
    _r("GET", f"{V1}/master/cluster_message", cluster.get_cluster_message),
    _r("PUT", f"{V1}/master/cluster_message", cluster.set_cluster_message),
    _r("DELETE", f"{V1}/master/cluster_message", cluster.delete_cluster_message),
    _r("GET", f"{V1}/master/telemetry", cluster.telemetry),
    _r("GET", f"{V1}/master/logs", cluster.master_logs),
    _r("GET", f"{V1}/agents", cluster.agents),
    _r("GET", f"{V1}/resource-pools", cluster.resource_pools),
    _r("GET", f"{V1}/resource-pools/{{resourcePoolName}}/workspace-bindings", cluster.pool_bindings),
    _r("POST", f"{V1}/resource-pools/{{resourcePoolName}}/workspace-bindings", cluster.bind_pool),
    _r("PUT", f"{V1}/resource-pools/{{resourcePoolName}}/workspace-bindings",
       cluster.overwrite_pool_bindings),
    _r("DELETE", f"{V1}/resource-pools/{{resourcePoolName}}/workspace-bindings",
       cluster.unbind_pool),
    _r("GET", f"{V1}/job-queues", cluster.job_queues),
    _r("GET", f"{V1}/job-queues/stats", cluster.job_queue_stats),
    _r("GET", f"{V1}/job-queues-v2", cluster.job_queues_v2),
    _r("GET", f"{V1}/resources/allocation/aggregated", cluster.allocation_aggregated),
    # -- auth and users ----------------------------------------------------------------------
    _r("POST", f"{V1}/auth/login", auth.login, public=True),
    _r("POST", f"{V1}/auth/logout", auth.logout),
    _r("GET", f"{V1}/auth/user", auth.me),
    _r("GET", f"{V1}/me", auth.me),
    _r("GET", f"{V1}/users", users.list_users),
    _r("POST", f"{V1}/users", users.post_user),
    _r("PATCH", f"{V1}/users", users.patch_users),
    _r("GET", f"{V1}/users/setting", users.get_settings),
    _r("POST", f"{V1}/users/setting", users.post_settings),
    _r("POST", f"{V1}/users/setting/reset", users.reset_settings),
    _r("POST", f"{V1}/users/activity", users.post_activity),
    _r("GET", f"{V1}/users/{N % 'userId'}", users.get_user),
    _r("PATCH", f"{V1}/users/{N % 'userId'}", users.patch_user),
    _r("POST", f"{V1}/users/{N % 'userId'}/password", users.set_password),
    _r("GET", f"{V1}/users/{{username}}/by-username", users.get_user_by_name),
    # -- workspaces, projects, templates, webhooks -------------------------------------------
    _r("GET", f"{V1}/workspaces", org.workspaces),
    _r("POST", f"{V1}/workspaces", org.post_workspace),
    _r("GET", f"{V1}/workspaces/{N % 'id'}", org.get_workspace),
    _r("GET", f"{V1}/workspaces/{N % 'id'}/projects", org.workspace_projects),
    _r("POST", f"{V1}/workspaces/{N % 'workspaceId'}/projects", org.post_project),
    _r("GET", f"{V1}/workspaces/{N % 'workspaceId'}/available-resource-pools",
       cluster.workspace_pools),
    _r("PATCH", f"{V1}/workspaces/{N % 'id'}", org.patch_workspace),
    _r("DELETE", f"{V1}/workspaces/{N % 'id'}", org.delete_workspace),
    _r("POST", f"{V1}/workspaces/{N % 'id'}/archive", org.archive_workspace),
    _r("POST", f"{V1}/workspaces/{N % 'id'}/unarchive", org.unarchive_workspace),
    _r("POST", f"{V1}/workspaces/{N % 'id'}/pin", org.pin_workspace),
    _r("POST", f"{V1}/workspaces/{N % 'id'}/unpin", org.unpin_workspace),
    _r("POST", f"{V1}/projects/{N % 'id'}/archive", org.archive_project),
    _r("POST", f"{V1}/projects/{N % 'id'}/unarchive", org.unarchive_project),
    _r("POST", f"{V1}/projects/{N % 'projectId'}/move", org.move_project),
    _r("POST", f"{V1}/projects/{N % 'projectId'}/experiments/move", org.move_experiments),
    _r("POST", f"{V1}/experiments/{N % 'experimentId'}/move", org.move_experiment),
    _r("GET", f"{V1}/user/projects/activity", org.projects_activity),
    _r("GET", f"{V1}/projects/{N % 'id'}", org.get_project),
    _r("PATCH", f"{V1}/projects/{N % 'id'}", org.patch_project),
    _r("DELETE", f"{V1}/projects/{N % 'id'}", org.delete_project),
    _r("GET", f"{V1}/projects/{N % 'id'}/columns", org.project_columns),
    _r("GET", f"{V1}/projects/{N % 'id'}/experiments/metric-ranges", org.metric_ranges),
    _r("POST", f"{V1}/projects/{N % 'projectId'}/notes", org.add_note),
    _r("PUT", f"{V1}/projects/{N % 'projectId'}/notes", org.put_notes),
    _r("GET", f"{V1}/templates", org.templates),
    _r("GET", f"{V1}/templates/{{templateName}}", org.get_template),
    _r("POST", f"{V1}/templates/{{templateName}}", org.post_template),
    _r("PUT", f"{V1}/templates/{{templateName}}", org.put_template),
    _r("PATCH", f"{V1}/templates/{{templateName}}", org.patch_template),
    _r("DELETE", f"{V1}/templates/{{templateName}}", org.delete_template),
    _r("GET", f"{V1}/webhooks", org.webhooks),
    _r("POST", f"{V1}/webhooks", org.post_webhook),
    _r("POST", f"{V1}/webhooks/custom", trial_api.custom_webhook),
    _r("PATCH", f"{V1}/webhooks/{N % 'id'}", org.patch_webhook),
    _r("DELETE", f"{V1}/webhooks/{N % 'id'}", org.delete_webhook),
    _r("POST", f"{V1}/webhooks/{N % 'id'}/test", org.test_webhook),
    # -- task config policies ----------------------------------------------------------------
    _r("PUT", f"{V1}/config-policies/workspaces/{N % 'workspaceId'}/{{workloadType}}",
       policies.put_workspace_policies),
    _r("GET", f"{V1}/config-policies/workspaces/{N % 'workspaceId'}/{{workloadType}}",
       policies.get_workspace_policies),
    _r("DELETE", f"{V1}/config-policies/workspaces/{N % 'workspaceId'}/{{workloadType}}",
       policies.delete_workspace_policies),
    _r("PUT", f"{V1}/config-policies/global/{{workloadType}}", policies.put_global_policies),
    _r("GET", f"{V1}/config-policies/global/{{workloadType}}", policies.get_global_policies),
    _r("DELETE", f"{V1}/config-policies/global/{{workloadType}}", policies.delete_global_policies),
    # -- user groups, roles and assignments (served with RBAC off too, as 0.38.1 does) ------
    _r("POST", f"{V1}/groups", rbac.create_group),
    _r("POST", f"{V1}/groups/search", rbac.search_groups),
    _r("GET", f"{V1}/groups/{N % 'groupId'}", rbac.get_group),
    _r("PUT", f"{V1}/groups/{N % 'groupId'}", rbac.update_group),
    _r("DELETE", f"{V1}/groups/{N % 'groupId'}", rbac.delete_group),
    _r("GET", f"{V1}/permissions/summary", rbac.permissions_summary),
    _r("POST", f"{V1}/roles/search", rbac.search_roles),
    _r("POST", f"{V1}/roles/search/by-ids", rbac.roles_by_ids),
    _r("POST", f"{V1}/roles/search/by-assignability", rbac.roles_by_assignability),
    _r("GET", f"{V1}/roles/search/by-user/{N % 'userId'}", rbac.roles_by_user),
    _r("GET", f"{V1}/roles/search/by-group/{N % 'groupId'}", rbac.roles_by_group),
    _r("GET", f"{V1}/roles/workspace/{N % 'workspaceId'}", rbac.workspace_roles),
    _r("POST", f"{V1}/roles/add-assignments", rbac.add_assignments),
    _r("POST", f"{V1}/roles/remove-assignments", rbac.remove_assignments),
    # -- model registry ----------------------------------------------------------------------
    _r("GET", f"{V1}/models", registry.models),
    _r("POST", f"{V1}/models", registry.post_model),
    _r("GET", f"{V1}/model/labels", registry.model_labels),
    _r("GET", f"{V1}/models/{{modelName}}", registry.get_model),
    _r("PATCH", f"{V1}/models/{{modelName}}", registry.patch_model),
    _r("DELETE", f"{V1}/models/{{modelName}}", registry.delete_model),
    _r("POST", f"{V1}/models/{{modelName}}/archive", registry.archive_model),
    _r("POST", f"{V1}/models/{{modelName}}/unarchive", registry.unarchive_model),
    _r("GET", f"{V1}/models/{{modelName}}/versions", registry.model_versions),
    _r("POST", f"{V1}/models/{{modelName}}/versions", registry.post_model_version),
    _r("GET", f"{V1}/models/{{modelName}}/versions/{N % 'modelVersionNum'}", registry.get_model_version),
    _r("PATCH", f"{V1}/models/{{modelName}}/versions/{N % 'modelVersionNum'}",
       registry.patch_model_version),
    _r("DELETE", f"{V1}/models/{{modelName}}/versions/{N % 'modelVersionNum'}",
       registry.delete_model_version),
    _r("GET", f"{V1}/models/{{modelName}}/versions/{N % 'modelVersionNum'}/metrics",
       registry.model_version_metrics),
    # -- experiments -------------------------------------------------------------------------
    _r("POST", f"{V1}/experiments", exp.create_experiment),
    _r("GET", f"{V1}/experiments", exp.list_experiments),
    _r("POST", f"{V1}/experiments-search", exp.search_experiments),
    _r("POST", f"{V1}/experiments/continue", lifecycle.continue_experiment),
    *(_r("POST", f"{V1}/projects/{N % 'projectId'}/experiments/{action}", lifecycle.bulk(action))
      for action in ("activate", "pause", "cancel", "kill", "archive", "unarchive")),
    _r("DELETE", f"{V1}/projects/{N % 'projectId'}/experiments/delete", lifecycle.bulk("delete")),
    _r("GET", f"{V1}/experiment/labels", exp.experiment_labels),
    _r("GET", f"{V1}/experiments/metrics-stream/metric-names", metrics.metric_names),
    _r("PUT", f"{V1}/experiments/by-external-id/{{externalExperimentId}}",
       unmanaged.put_experiment),
    _r("GET", f"{V1}/experiments/{N % 'experimentId'}", exp.get_experiment),
    _r("PATCH", f"{V1}/experiments/{N % 'experimentId'}", exp.patch_experiment),
    _r("DELETE", f"{V1}/experiments/{N % 'experimentId'}", exp.delete_experiment),
    _r("PUT", f"{V1}/experiments/{N % 'experimentId'}/labels/{{label}}", exp.put_label),
    _r("DELETE", f"{V1}/experiments/{N % 'experimentId'}/labels/{{label}}", exp.delete_label),
    _r("POST", f"{V1}/experiments/{N % 'id'}/kill", exp.kill),
    _r("POST", f"{V1}/experiments/{N % 'id'}/cancel", exp.cancel),
    _r("POST", f"{V1}/experiments/{N % 'id'}/pause", exp.pause),
    _r("POST", f"{V1}/experiments/{N % 'id'}/activate", exp.activate),
    _r("POST", f"{V1}/experiments/{N % 'id'}/archive", exp.archive),
    _r("POST", f"{V1}/experiments/{N % 'id'}/unarchive", exp.unarchive),
    _r("GET", f"{V1}/experiments/{N % 'experimentId'}/trials", exp.experiment_trials),
    _r("GET", f"{V1}/experiments/{N % 'id'}/checkpoints", exp.experiment_checkpoints),
    _r("GET", f"{V1}/experiments/{N % 'experimentId'}/file_tree", files.file_tree),
    _r("GET", f"{V1}/experiments/{N % 'experimentId'}/model_def", files.model_def),
    _r("POST", f"{V1}/experiments/{N % 'experimentId'}/file", files.model_def_file),
    _r("GET", f"{V1}/experiments/{N % 'experimentId'}/searcher/best_searcher_validation_metric",
       metrics.best_validation),
    _r("GET", f"{V1}/experiments/{N % 'experimentId'}/validation-history",
       metrics.validation_history),
    _r("GET", "/experiments/" + N % "experimentId" + "/file/download", files.download_file),
    # -- trials, metrics, checkpoints, runs --------------------------------------------------
    _r("GET", f"{V1}/trials/time-series", metrics.time_series),
    _r("GET", f"{V1}/trials/metrics/trial_metrics", metrics.trial_metrics),
    _r("GET", f"{V1}/trials/metrics/training_metrics", metrics.training_metrics),
    _r("GET", f"{V1}/trials/metrics/validation_metrics", metrics.validation_metrics),
    _r("POST", f"{V1}/trials", unmanaged.create_trial),
    _r("PUT", f"{V1}/trials", unmanaged.put_trial),
    _r("GET", f"{V1}/trials/{N % 'trialId'}", metrics.get_trial),
    _r("PATCH", f"{V1}/trials/{N % 'trialId'}", unmanaged.patch_trial),
    _r("POST", f"{V1}/trials/{N % 'trialId'}/start", unmanaged.start_trial),
    _r("GET", f"{V1}/trials/{N % 'id'}/checkpoints", metrics.trial_checkpoints),
    _r("GET", f"{V1}/trials/{N % 'trialId'}/workloads", metrics.workloads),
    _r("GET", f"{V1}/trials/{N % 'trialId'}/logs", tasks.trial_logs),
    _r("GET", f"{V1}/trials/{N % 'trialId'}/logs/fields", tasks.trial_log_fields),
    _r("GET", f"{V1}/trials/{N % 'trialId'}/profiler/metrics", metrics.profiler_metrics),
    _r("GET", f"{V1}/trials/{N % 'trialId'}/profiler/available_series", metrics.profiler_series),
    _r("POST", f"{V1}/trials/{N % 'id'}/kill", trial_api.kill_trial),
    _r("POST", f"{V1}/trials/{N % 'trialId'}/metrics", trial_api.report_metrics),
    _r("POST", f"{V1}/trials/{N % 'trialId'}/training_metrics", trial_api.report_training),
    _r("POST", f"{V1}/trials/{N % 'trialId'}/validation_metrics", trial_api.report_validation),
    _r("POST", f"{V1}/trials/{N % 'trialId'}/progress", trial_api.report_progress),
    _r("POST", f"{V1}/trials/{N % 'trialId'}/runner/metadata", trial_api.runner_metadata),
    _r("POST", f"{V1}/trials/{N % 'trialId'}/early_exit", trial_api.early_exit),
    _r("POST", f"{V1}/checkpoints", trial_api.report_checkpoint),
    _r("PATCH", f"{V1}/checkpoints", trial_api.patch_checkpoints),
    _r("DELETE", f"{V1}/checkpoints", registry.delete_checkpoints),
    _r("POST", f"{V1}/checkpoints/rm", registry.remove_checkpoint_files),
    _r("GET", f"{V1}/checkpoints/{{checkpointUuid}}", metrics.get_checkpoint),
    _r("GET", f"{V1}/checkpoints/{{checkpointUuid}}/metrics", metrics.checkpoint_metrics),
    _r("POST", f"{V1}/checkpoints/{{checkpointUuid}}/metadata", metrics.post_checkpoint_metadata),
    _r("GET", "/checkpoints/{checkpointUuid}", files.download_checkpoint),
    _r("POST", "/task-logs", unmanaged.post_task_logs),
    _r("POST", f"{V1}/runs", runs.search_runs),
    *(_r("POST", f"{V1}/runs/{name}", getattr(run_actions, f"{name}_runs"))
      for name in ("kill", "pause", "resume", "archive", "unarchive", "move", "delete")),
    _r("POST", f"{V1}/runs/start", trial_api.run_prepare),
    _r("GET", f"{V1}/runs/{N % 'runId'}/metadata", trial_api.get_run_metadata),
    _r("POST", f"{V1}/runs/{N % 'runId'}/metadata", trial_api.post_run_metadata),
    # -- allocations and tasks ---------------------------------------------------------------
    _r("GET", f"{V1}/allocations/{{allocationId}}/signals/preemption", trial_api.preemption_signal),
    _r("POST", f"{V1}/allocations/{{allocationId}}/signals/ack_preemption",
       trial_api.ack_preemption),
    _r("POST", f"{V1}/allocations/{{allocationId}}/signals/pending_preemption",
       trial_api.pending_preemption),
    _r("GET", f"{V1}/tasks", tasks.tasks),
    _r("GET", "/tasks", tasks.legacy_tasks),
    _r("GET", "/resources/allocation/allocations-csv", tasks.allocations_csv),
    _r("GET", f"{V1}/tasks/count", tasks.task_count),
    _r("GET", f"{V1}/tasks/{{taskId}}", tasks.get_task),
    _r("GET", f"{V1}/tasks/{{taskId}}/logs", tasks.task_logs),
    _r("GET", f"{V1}/tasks/{{taskId}}/logs/fields", tasks.task_log_fields),
    _r("GET", f"{V1}/tasks/{{taskId}}/acceleratorData", tasks.accelerator_data),
    _r("GET", f"{V1}/tasks/{{taskId}}/config", tasks.task_config),
    _r("GET", f"{V1}/tasks/{{taskId}}/context_directory", tasks.context_directory),
    *_command_routes(),
]
