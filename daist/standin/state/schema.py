"""The stand-in's SQLite schema (one string, applied by ``StandinStore`` on open/reset).

Tables that clients write to use AUTOINCREMENT so an id is never reused after a delete, as on
the real master. JSON columns hold what the wire carries verbatim.
"""
from __future__ import annotations

TABLES = (
    "users", "tokens", "user_settings", "workspaces", "projects", "notes", "model_defs",
    "exp_configs", "experiments", "trials", "metrics", "checkpoints", "models",
    "model_versions", "templates", "webhooks", "commands", "allocations", "task_logs",
    "resource_pools", "agents", "run_metadata", "workspace_pins", "cluster_message",
    "webhook_log_triggers", "rp_workspace_bindings", "task_config_policies", "user_groups",
    "group_members", "role_assignments",
)

SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT NULL, display_name TEXT,
    admin INTEGER NOT NULL, active INTEGER NOT NULL, password_hash TEXT NOT NULL,
    modified_at REAL NOT NULL, last_auth_at REAL, agent_user_group TEXT);
CREATE TABLE tokens (
    token TEXT PRIMARY KEY, user_id INTEGER NOT NULL, kind TEXT NOT NULL,
    allocation_id TEXT, created_at REAL NOT NULL);
CREATE TABLE user_settings (
    user_id INTEGER NOT NULL, key TEXT NOT NULL, storage_path TEXT NOT NULL, value TEXT,
    PRIMARY KEY (user_id, key, storage_path));
CREATE TABLE workspaces (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL, user_id INTEGER NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0, immutable INTEGER NOT NULL DEFAULT 0);
CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL, name TEXT NOT NULL,
    key TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', user_id INTEGER NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0, immutable INTEGER NOT NULL DEFAULT 0,
    UNIQUE (workspace_id, name));
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, name TEXT NOT NULL,
    contents TEXT NOT NULL);
CREATE INDEX notes_project ON notes (project_id, id);
CREATE TABLE model_defs (id INTEGER PRIMARY KEY AUTOINCREMENT, files TEXT NOT NULL,
    size INTEGER NOT NULL);
CREATE TABLE exp_configs (id INTEGER PRIMARY KEY AUTOINCREMENT, config TEXT NOT NULL,
    original TEXT NOT NULL);
CREATE TABLE experiments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    config_id INTEGER NOT NULL, model_def_id INTEGER NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '[]', state TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0,
    progress REAL NOT NULL DEFAULT 0, start_time REAL NOT NULL, end_time REAL,
    searcher_type TEXT NOT NULL, searcher_metric TEXT NOT NULL,
    smaller_is_better INTEGER NOT NULL DEFAULT 1, resource_pool TEXT NOT NULL);
CREATE INDEX experiments_project ON experiments (project_id);
CREATE TABLE trials (
    id INTEGER PRIMARY KEY AUTOINCREMENT, experiment_id INTEGER NOT NULL, hparams TEXT NOT NULL,
    state TEXT NOT NULL, restarts INTEGER NOT NULL DEFAULT 0, start_time REAL NOT NULL,
    end_time REAL, total_batches INTEGER NOT NULL DEFAULT 0, task_id TEXT NOT NULL,
    run_id INTEGER NOT NULL DEFAULT 1, summary TEXT NOT NULL DEFAULT '{}',
    runner_state TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '{}',
    progress REAL NOT NULL DEFAULT 0, latest_val_id INTEGER, best_val_id INTEGER,
    best_ckpt TEXT, seeded INTEGER NOT NULL DEFAULT 0, early_exit TEXT,
    archived INTEGER NOT NULL DEFAULT 0, log_policy_matched TEXT, warm_start TEXT);
CREATE INDEX trials_experiment ON trials (experiment_id, id);
CREATE INDEX trials_task ON trials (task_id);
CREATE TABLE metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT, trial_id INTEGER NOT NULL,
    trial_run_id INTEGER NOT NULL, grp TEXT NOT NULL, steps INTEGER NOT NULL,
    vals TEXT NOT NULL, batch TEXT, report_time REAL NOT NULL, archived INTEGER NOT NULL DEFAULT 0);
CREATE INDEX metrics_trial ON metrics (trial_id, grp, id);
CREATE TABLE checkpoints (
    uuid TEXT PRIMARY KEY, trial_id INTEGER, task_id TEXT NOT NULL, allocation_id TEXT NOT NULL,
    steps INTEGER NOT NULL, report_time REAL NOT NULL, state TEXT NOT NULL,
    resources TEXT NOT NULL, metadata TEXT NOT NULL, storage_id INTEGER,
    size INTEGER NOT NULL DEFAULT 0);
CREATE INDEX checkpoints_trial ON checkpoints (trial_id);
CREATE TABLE models (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL,
    workspace_id INTEGER NOT NULL, user_id INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '', labels TEXT NOT NULL DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}', archived INTEGER NOT NULL DEFAULT 0,
    creation_time REAL NOT NULL, last_updated REAL NOT NULL);
CREATE TABLE model_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL, version INTEGER NOT NULL,
    checkpoint_uuid TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', comment TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '', labels TEXT NOT NULL DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}', user_id INTEGER NOT NULL, creation_time REAL NOT NULL,
    last_updated REAL NOT NULL, UNIQUE (model_id, version));
CREATE TABLE templates (name TEXT PRIMARY KEY, workspace_id INTEGER NOT NULL,
    config TEXT NOT NULL);
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, url TEXT NOT NULL,
    mode TEXT NOT NULL, webhook_type TEXT NOT NULL, workspace_id INTEGER,
    triggers TEXT NOT NULL DEFAULT '[]');
CREATE TABLE commands (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, description TEXT NOT NULL,
    workspace_id INTEGER NOT NULL, user_id INTEGER NOT NULL, state TEXT NOT NULL,
    start_time REAL NOT NULL, resource_pool TEXT NOT NULL);
CREATE TABLE allocations (
    allocation_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, task_type TEXT NOT NULL,
    name TEXT NOT NULL, state TEXT NOT NULL, start_time REAL NOT NULL, end_time REAL,
    resource_pool TEXT NOT NULL, slots INTEGER NOT NULL, preempt INTEGER NOT NULL DEFAULT 0);
CREATE INDEX allocations_task ON allocations (task_id);
CREATE TABLE task_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, allocation_id TEXT NOT NULL,
    timestamp REAL NOT NULL, stdtype TEXT NOT NULL, level TEXT NOT NULL, log TEXT NOT NULL);
CREATE INDEX task_logs_task ON task_logs (task_id, id);
CREATE TABLE resource_pools (name TEXT PRIMARY KEY, description TEXT NOT NULL,
    num_agents INTEGER NOT NULL, slots_per_agent INTEGER NOT NULL,
    default_compute INTEGER NOT NULL, default_aux INTEGER NOT NULL);
CREATE TABLE agents (id INTEGER PRIMARY KEY, resource_pool TEXT NOT NULL,
    slots INTEGER NOT NULL, registered_time REAL NOT NULL);
CREATE TABLE run_metadata (run_id INTEGER PRIMARY KEY, metadata TEXT NOT NULL);
-- workspace/project lifecycle and settings (state: WORKSPACE_STATE_*; JSON or NULL configs)
ALTER TABLE workspaces ADD COLUMN state TEXT NOT NULL DEFAULT 'WORKSPACE_STATE_UNSPECIFIED';
ALTER TABLE workspaces ADD COLUMN error_message TEXT NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN checkpoint_storage TEXT;
ALTER TABLE workspaces ADD COLUMN agent_user_group TEXT;
ALTER TABLE workspaces ADD COLUMN default_compute_pool TEXT NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN default_aux_pool TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN state TEXT NOT NULL DEFAULT 'WORKSPACE_STATE_UNSPECIFIED';
ALTER TABLE projects ADD COLUMN error_message TEXT NOT NULL DEFAULT '';
-- names are unique ignoring case, as the master's index on LOWER(name)
CREATE UNIQUE INDEX workspaces_name_ci ON workspaces (lower(name));
CREATE TABLE workspace_pins (workspace_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    pinned_at REAL NOT NULL, PRIMARY KEY (workspace_id, user_id));
CREATE TABLE cluster_message (id INTEGER PRIMARY KEY CHECK (id = 1), message TEXT NOT NULL,
    start_time REAL NOT NULL, end_time REAL, created_time REAL NOT NULL);
-- a pool's task container defaults (JSON, as in the master's resource_pools config) and the
-- workspaces a pool is bound to
ALTER TABLE resource_pools ADD COLUMN task_container_defaults TEXT NOT NULL DEFAULT '{}';
CREATE TABLE rp_workspace_bindings (workspace_id INTEGER NOT NULL, pool_name TEXT NOT NULL,
    PRIMARY KEY (workspace_id, pool_name));
-- a launched command's expanded config, how it ended and when (seeded ones have neither)
ALTER TABLE commands ADD COLUMN config TEXT;
ALTER TABLE commands ADD COLUMN exit_status TEXT NOT NULL DEFAULT '';
ALTER TABLE commands ADD COLUMN end_time REAL;
-- task config policies per workload type, global (scope 0) or of a workspace (scope = its id)
CREATE TABLE task_config_policies (scope INTEGER NOT NULL, workload_type TEXT NOT NULL,
    invariant_config TEXT, constraints TEXT, last_updated_by INTEGER NOT NULL,
    last_updated_time REAL NOT NULL, PRIMARY KEY (scope, workload_type));
-- user groups and role assignments (to a group or a user; at a workspace or, NULL, the cluster)
CREATE TABLE user_groups (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL);
CREATE TABLE group_members (group_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id));
CREATE TABLE role_assignments (role_id INTEGER NOT NULL, group_id INTEGER, user_id INTEGER,
    workspace_id INTEGER);
CREATE UNIQUE INDEX role_assignments_once ON role_assignments
    (role_id, COALESCE(group_id, 0), COALESCE(user_id, 0), COALESCE(workspace_id, 0));
-- who ran an allocation, in which workspace, for which experiment, as when it started (the
-- master's allocation_workspace_info: kept through moves and deletes, for the allocation CSV)
ALTER TABLE allocations ADD COLUMN username TEXT NOT NULL DEFAULT '';
ALTER TABLE allocations ADD COLUMN workspace_name TEXT NOT NULL DEFAULT '';
ALTER TABLE allocations ADD COLUMN experiment_id INTEGER;
-- a continued trial runs as a new task ("<previous>-N"); the ones before it, oldest first
ALTER TABLE trials ADD COLUMN prior_task_ids TEXT NOT NULL DEFAULT '[]';
-- a TASK_LOG trigger fires once per task
CREATE TABLE webhook_log_triggers (task_id TEXT NOT NULL, webhook_id INTEGER NOT NULL,
    trigger_id INTEGER NOT NULL, PRIMARY KEY (task_id, webhook_id, trigger_id));
"""

# Unmanaged (detached-mode) experiments and trials: their external ids (``store_unmanaged``).
TABLES += ("unmanaged_experiments", "unmanaged_trials")
SCHEMA += """
CREATE TABLE unmanaged_experiments (experiment_id INTEGER PRIMARY KEY, external_id TEXT UNIQUE);
CREATE TABLE unmanaged_trials (trial_id INTEGER PRIMARY KEY, experiment_id INTEGER NOT NULL,
    external_id TEXT, UNIQUE (experiment_id, external_id));
"""
