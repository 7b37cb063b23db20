"""Workspaces, projects, notes, templates and webhooks of ``StandinStore``."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from daist.standin.state import webhooks
from daist.standin.state.cluster_entities import AGENT_ID
from daist.standin.state.entities import Note, Project, Template, Webhook, Workspace
from daist.standin.state.storage_config import storage_config
from daist.standin.common.errors import BadRequest, Conflict, FailedPrecondition, Internal, NotFound
from daist.standin.common.regex import BadRegex, compile_regex, searches

_WORKSPACE_SQL = """
SELECT w.*, u.username, pin.pinned_at,
  (SELECT COUNT(*) FROM projects p WHERE p.workspace_id = w.id) AS num_projects,
  (SELECT COUNT(*) FROM experiments e JOIN projects p ON p.id = e.project_id
     WHERE p.workspace_id = w.id) AS num_experiments
FROM workspaces w JOIN users u ON u.id = w.user_id
LEFT JOIN workspace_pins pin ON pin.workspace_id = w.id AND pin.user_id = :viewer
"""

_PROJECT_SQL = """
SELECT p.*, u.username, w.name AS workspace_name, w.archived AS workspace_archived,
  (SELECT COUNT(*) FROM experiments e WHERE e.project_id = p.id) AS num_experiments,
  (SELECT COUNT(*) FROM experiments e WHERE e.project_id = p.id
     AND e.state = 'STATE_ACTIVE') AS num_active,
  (SELECT MAX(e.start_time) FROM experiments e WHERE e.project_id = p.id) AS last_started
FROM projects p JOIN users u ON u.id = p.user_id JOIN workspaces w ON w.id = p.workspace_id
"""

_WEBHOOK_MODES = ("WEBHOOK_MODE_WORKSPACE", "WEBHOOK_MODE_SPECIFIC", "WEBHOOK_MODE_UNSPECIFIED")
_WEBHOOK_TYPES = ("WEBHOOK_TYPE_DEFAULT", "WEBHOOK_TYPE_SLACK", "WEBHOOK_TYPE_UNSPECIFIED")
_WORKSPACE_SORTS = {"SORT_BY_UNSPECIFIED": "w.id", "SORT_BY_ID": "w.id", "SORT_BY_NAME": "w.name"}
_PROJECT_SORTS = {"SORT_BY_UNSPECIFIED": "p.id", "SORT_BY_ID": "p.id", "SORT_BY_NAME": "p.name",
                  "SORT_BY_CREATION_TIME": "p.id", "SORT_BY_DESCRIPTION": "p.description",
                  "SORT_BY_LAST_EXPERIMENT_START_TIME": "last_started"}
_AGENT_GROUP_KEYS = (("agentUid", "agent_uid", int), ("agentGid", "agent_gid", int),
                     ("agentUser", "agent_user", str), ("agentGroup", "agent_group", str))
DELETING, DELETE_FAILED = "WORKSPACE_STATE_DELETING", "WORKSPACE_STATE_DELETE_FAILED"
_TERMINAL_SQL = "('STATE_COMPLETED', 'STATE_CANCELED', 'STATE_ERROR', 'STATE_DELETED')"


def _json_or_none(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _json_or_null(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def check_workspace_name(name: Any) -> str:
    """validateWorkspaceName, with the master's messages (its "at most 53" for 80 included)."""
    if not isinstance(name, str) or not name:
        raise BadRequest(f"name '{name or ''}' must be at least 1 character long")
    if len(name) > 80:
        raise BadRequest(f"name '{name}' must be at most 53 character long")
    if not name.strip():
        raise BadRequest("name must contain at least non-whitespace letter")
    return name


def _agent_user_group(raw: Any) -> dict[str, Any] | None:
    """A workspace's agent user group as the master keeps it: four nullable columns (uid,
    user, gid, group), shown as the fields that are set, or no group when none is."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadRequest("agentUserGroup must be an object")
    group: dict[str, Any] = {}
    for wire, snake, kind in _AGENT_GROUP_KEYS:
        value = raw.get(wire, raw.get(snake))
        if value is None:
            continue
        if kind is int and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BadRequest(f"agentUserGroup.{wire} must be {'an integer' if kind is int else 'a string'}")
        group[wire] = value
    return group or None


def _workspace(row: sqlite3.Row) -> Workspace:
    return Workspace(id=row["id"], name=row["name"], user_id=row["user_id"],
                     username=row["username"], archived=bool(row["archived"]),
                     immutable=bool(row["immutable"]), pinned=row["pinned_at"] is not None,
                     num_projects=row["num_projects"], num_experiments=row["num_experiments"],
                     state=row["state"], error_message=row["error_message"],
                     checkpoint_storage=_json_or_none(row["checkpoint_storage"]),
                     agent_user_group=_json_or_none(row["agent_user_group"]),
                     default_compute_pool=row["default_compute_pool"],
                     default_aux_pool=row["default_aux_pool"], pinned_at=row["pinned_at"])


def _template(row: sqlite3.Row) -> Template:
    return Template(name=row["name"], workspace_id=row["workspace_id"],
                    config=json.loads(row["config"]))


def _webhook(row: sqlite3.Row) -> Webhook:
    return Webhook(id=row["id"], name=row["name"], url=row["url"], mode=row["mode"],
                   webhook_type=row["webhook_type"], workspace_id=row["workspace_id"],
                   triggers=json.loads(row["triggers"]))


@dataclass(frozen=True)
class OrgQuery:
    """The filters and order of GetWorkspaces and GetWorkspaceProjects: ``name`` matches as
    SQL ILIKE, ``name_case_sensitive`` (a name too) case-sensitively."""
    name: str = ""
    name_case_sensitive: str = ""
    archived: bool | None = None
    pinned: bool | None = None
    usernames: tuple[str, ...] = ()
    user_ids: tuple[int, ...] = ()
    sort_by: str = "SORT_BY_UNSPECIFIED"
    descending: bool = False

    def where(self, alias: str) -> tuple[list[str], dict[str, Any]]:
        """Conditions on the ``alias`` table (workspaces ``w`` or projects ``p``) and ``u``."""
        where, params = ["1"], {}
        if self.name:  # SQLite's LIKE ignores ASCII case, as ILIKE does
            where.append(f"{alias}.name LIKE :name")
            params["name"] = self.name
        if self.name_case_sensitive:
            where.append(f"{alias}.name LIKE :cs AND ({alias}.name = :cs OR :cs GLOB '*[%_]*')")
            params["cs"] = self.name_case_sensitive
        if self.archived is not None:
            where.append(f"{alias}.archived = {int(self.archived)}")
        if self.usernames:
            names = {f"u{i}": n for i, n in enumerate(self.usernames)}
            where.append("u.username IN (" + ",".join(f":{k}" for k in names) + ")")
            params.update(names)
        if self.user_ids:
            where.append(f"{alias}.user_id IN (" + ",".join(str(int(i)) for i in self.user_ids) + ")")
        return where, params

    def order(self, columns: dict[str, str], alias: str) -> str:
        if self.sort_by not in columns:
            raise Internal(f"unsupported sort by {self.sort_by}")
        direction = "DESC" if self.descending else "ASC"
        column = columns[self.sort_by]
        tie = f", {alias}.id {direction}" if column != f"{alias}.id" else ""
        return f" ORDER BY {column} {direction}{tie}"


class OrgStore:
    db: sqlite3.Connection
    now: Callable[[], float]

    # -- workspaces --------------------------------------------------------------------------
    def add_workspace(self, *, name: str, user_id: int, immutable: bool = False,
                      checkpoint_storage: Any = None, agent_user_group: Any = None,
                      default_compute_pool: str = "", default_aux_pool: str = "") -> Workspace:
        """As PostWorkspace stores it: the default pools are kept unchecked, as there."""
        storage = storage_config(checkpoint_storage)
        group = _agent_user_group(agent_user_group)
        try:
            cur = self.db.execute(
                "INSERT INTO workspaces (name, user_id, immutable, checkpoint_storage,"
                " agent_user_group, default_compute_pool, default_aux_pool)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, user_id, int(immutable), _json_or_null(storage), _json_or_null(group),
                 default_compute_pool or "", default_aux_pool or ""))
        except sqlite3.IntegrityError:
            raise Conflict("avoid names equal to other workspaces (case-insensitive)") from None
        return self.get_workspace(cur.lastrowid)

    def get_workspace(self, workspace_id: int, *, viewer: int = 0) -> Workspace:
        """``viewer`` is the user whose pins count (pins are per user)."""
        row = self.db.execute(_WORKSPACE_SQL + " WHERE w.id = :id",
                              {"id": workspace_id, "viewer": viewer}).fetchone()
        if row is None:
            raise NotFound(f"workspace '{workspace_id}' not found")
        return _workspace(row)

    def list_workspaces(self, query: OrgQuery = OrgQuery(), *, viewer: int = 0) -> list[Workspace]:
        where, params = query.where("w")
        params["viewer"] = viewer
        if query.pinned is not None:
            where.append("pin.pinned_at IS " + ("NOT NULL" if query.pinned else "NULL"))
        sql = _WORKSPACE_SQL + " WHERE " + " AND ".join(where) + query.order(_WORKSPACE_SORTS, "w")
        return [_workspace(r) for r in self.db.execute(sql, params).fetchall()]

    def mutable_workspace(self, workspace_id: int) -> Workspace:
        workspace = self.get_workspace(workspace_id)
        if workspace.immutable:
            raise Internal(f"workspace ({workspace_id}) is immutable and cannot add new projects")
        if workspace.archived:
            raise Internal(f"workspace ({workspace_id}) is archived and cannot add new projects")
        return workspace

    def patch_workspace(self, workspace_id: int, patch: dict[str, Any], *,
                        viewer: int = 0) -> Workspace:
        """PatchWorkspace: name, checkpointStorageConfig (``{}`` clears it), agentUserGroup
        (replaced whole: an absent id or name is cleared), default pools (one of the pools
        the workspace may use, or "")."""
        self.mutable_workspace(workspace_id)
        columns: dict[str, Any] = {}
        if patch.get("name") is not None:
            columns["name"] = check_workspace_name(patch["name"])
        if patch.get("agentUserGroup") is not None:
            columns["agent_user_group"] = _json_or_null(_agent_user_group(patch["agentUserGroup"]))
        pools = set(self.pools_available_to(workspace_id)) | {""}  # type: ignore[attr-defined]
        for key, column in (("defaultComputeResourcePool", "default_compute_pool"),
                            ("defaultAuxResourcePool", "default_aux_pool")):
            if patch.get(key) is not None:
                if patch[key] not in pools:
                    raise FailedPrecondition("unable to bind a resource pool that does not exist"
                                             " or is not available to the workspace")
                columns[column] = patch[key]
        if patch.get("checkpointStorageConfig") is not None:
            columns["checkpoint_storage"] = _json_or_null(
                storage_config(patch["checkpointStorageConfig"]))
        if columns:
            assignments = ", ".join(f"{c} = ?" for c in columns)
            try:
                self.db.execute(f"UPDATE workspaces SET {assignments} WHERE id = ?",
                                (*columns.values(), workspace_id))
            except sqlite3.IntegrityError:
                raise Conflict("avoid names equal to other workspaces (case-insensitive)") from None
        return self.get_workspace(workspace_id, viewer=viewer)

    def set_workspace_archived(self, workspace_id: int, archived: bool) -> None:
        """As the master: an immutable workspace is silently left as it is."""
        self.get_workspace(workspace_id)
        self.db.execute("UPDATE workspaces SET archived = ? WHERE id = ? AND NOT immutable",
                        (int(archived), workspace_id))

    def set_workspace_pinned(self, workspace_id: int, user_id: int, pinned: bool) -> None:
        self.get_workspace(workspace_id)
        if pinned:
            self.db.execute("INSERT OR IGNORE INTO workspace_pins VALUES (?, ?, ?)",
                            (workspace_id, user_id, self.now()))
        else:
            self.db.execute("DELETE FROM workspace_pins WHERE workspace_id = ? AND user_id = ?",
                            (workspace_id, user_id))

    def check_workspace_deletable(self, workspace_id: int) -> None:
        """DeleteWorkspace's refusals, before anything is touched: models, then immutable."""
        workspace = self.get_workspace(workspace_id)
        if self.db.execute("SELECT 1 FROM models WHERE workspace_id = ?",
                           (workspace_id,)).fetchone():
            raise FailedPrecondition(f"workspace ({workspace_id}) contains models; move or delete"
                                     " models first")
        if workspace.immutable:  # the master's deletable_workspace finds no row to mark DELETING
            raise Internal(f"workspace ({workspace_id}) does not exist or not deletable by this"
                           " user: not found")

    def delete_workspace(self, workspace_id: int) -> bool:
        """DELETING, then every project with its experiments, then the workspace; a failure
        leaves it DELETE_FAILED with the reason. Returns whether it had no projects."""
        self.check_workspace_deletable(workspace_id)
        self.db.execute("UPDATE workspaces SET state = ?, error_message = '' WHERE id = ?",
                        (DELETING, workspace_id))
        self.db.execute("DELETE FROM allocations WHERE task_id IN (SELECT id FROM commands"
                        " WHERE workspace_id = ?)", (workspace_id,))
        self.db.execute("DELETE FROM commands WHERE workspace_id = ?", (workspace_id,))
        self.db.execute("DELETE FROM templates WHERE workspace_id = ?", (workspace_id,))
        project_ids = [r[0] for r in self.db.execute(
            "SELECT id FROM projects WHERE workspace_id = ? ORDER BY id", (workspace_id,))]
        for project_id in project_ids:
            problem = self._remove_project(project_id)
            if problem:
                self.db.execute("UPDATE workspaces SET state = ?, error_message = ? WHERE id = ?",
                                (DELETE_FAILED, problem, workspace_id))
                return False
        self.db.execute("DELETE FROM workspace_pins WHERE workspace_id = ?", (workspace_id,))
        self.db.execute("DELETE FROM webhooks WHERE workspace_id = ?", (workspace_id,))
        self.db.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))
        return not project_ids

    # -- projects ----------------------------------------------------------------------------
    def _project(self, row: sqlite3.Row) -> Project:
        notes = [Note(name=n["name"], contents=n["contents"]) for n in self.db.execute(
            "SELECT name, contents FROM notes WHERE project_id = ? ORDER BY id", (row["id"],))]
        return Project(id=row["id"], name=row["name"], key=row["key"],
                       description=row["description"], workspace_id=row["workspace_id"],
                       workspace_name=row["workspace_name"], user_id=row["user_id"],
                       username=row["username"],
                       archived=bool(row["archived"] or row["workspace_archived"]),
                       immutable=bool(row["immutable"]), notes=notes,
                       num_experiments=row["num_experiments"], num_active_experiments=row["num_active"],
                       num_runs=row["num_experiments"], last_experiment_started_at=row["last_started"],
                       state=row["state"], error_message=row["error_message"])

    def add_project(self, *, workspace_id: int, name: str, user_id: int, description: str = "",
                    key: str | None = None, immutable: bool = False) -> Project:
        self.mutable_workspace(workspace_id)
        if not name or not name.strip():
            raise BadRequest("project name must not be empty")
        key = key or "".join(ch for ch in name.upper() if ch.isalnum())[:5] or "PROJ"
        try:
            cur = self.db.execute(
                "INSERT INTO projects (workspace_id, name, key, description, user_id, immutable)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (workspace_id, name, key, description, user_id, int(immutable)))
        except sqlite3.IntegrityError:
            raise Conflict(f"project {name!r} already exists in workspace {workspace_id}") from None
        return self.get_project(cur.lastrowid)

    def get_project(self, project_id: int) -> Project:
        row = self.db.execute(_PROJECT_SQL + " WHERE p.id = ?", (project_id,)).fetchone()
        if row is None:
            raise NotFound(f"project '{project_id}' not found")
        return self._project(row)

    def list_projects(self, query: OrgQuery = OrgQuery(), *,
                      workspace_id: int | None = None) -> list[Project]:
        where, params = query.where("p")
        if workspace_id is not None:
            self.get_workspace(workspace_id)
            where.append("p.workspace_id = :workspace")
            params["workspace"] = workspace_id
        sql = _PROJECT_SQL + " WHERE " + " AND ".join(where) + query.order(_PROJECT_SORTS, "p")
        return [self._project(r) for r in self.db.execute(sql, params).fetchall()]

    def patch_project(self, project_id: int, patch: dict[str, Any]) -> Project:
        project = self.get_project(project_id)
        if project.immutable:
            raise BadRequest(f"project {project_id} is immutable")
        try:
            self.db.execute(
                "UPDATE projects SET name = ?, description = ?, key = ? WHERE id = ?",
                (patch.get("name") or project.name,
                 project.description if patch.get("description") is None else patch["description"],
                 patch.get("key") or project.key, project_id))
        except sqlite3.IntegrityError:
            raise Conflict(f"project {patch.get('name')!r} already exists") from None
        return self.get_project(project_id)

    def set_project_archived(self, project_id: int, archived: bool) -> None:
        project = self.get_project(project_id)
        if self.get_workspace(project.workspace_id).archived:
            raise FailedPrecondition(f"workspace ({project.workspace_id}) is archived")
        if project.immutable:
            verb = "archive-able" if archived else "unarchive-able"
            raise Internal(f"project ({project_id}) is not {verb} by this user")
        self.db.execute("UPDATE projects SET archived = ? WHERE id = ?", (int(archived), project_id))

    def move_project(self, project_id: int, destination_id: int) -> None:
        """MoveProject: not from an archived/immutable workspace, not into one either."""
        project = self.get_project(project_id)
        origin = self.get_workspace(project.workspace_id)
        self.mutable_workspace(destination_id)
        if self.db.execute("SELECT 1 FROM projects WHERE workspace_id = ? AND name = ?",
                           (destination_id, project.name)).fetchone():
            raise Internal(f"project with name '{project.name}' already exists in target workspace")
        if project.immutable or project.archived or origin.archived or origin.immutable:
            raise Internal(f"project ({project_id}) does not exist or not moveable by this user")
        self.db.execute("UPDATE projects SET workspace_id = ? WHERE id = ?",
                        (destination_id, project_id))

    def delete_project(self, project_id: int) -> bool:
        """DeleteProject; returns ``completed`` (false when it had experiments to delete, as
        the master answers before its background deletion; here that deletion is done)."""
        project = self.get_project(project_id)
        if project.immutable:  # the master's deletable_project finds no row to mark DELETING
            raise Internal(f"project ({project_id}) does not exist or not deletable by this user:"
                           " not found")
        problem = self._remove_project(project_id)
        if problem:
            self.db.execute("UPDATE projects SET state = ?, error_message = ? WHERE id = ?",
                            (DELETE_FAILED, problem, project_id))
        return not project.num_experiments

    def _remove_project(self, project_id: int) -> str | None:
        """Delete a project and its experiments; the reason it cannot, or None."""
        self.db.execute("UPDATE projects SET state = ?, error_message = '' WHERE id = ?",
                        (DELETING, project_id))
        live = [r[0] for r in self.db.execute(
            f"SELECT id FROM experiments WHERE project_id = ? AND state NOT IN {_TERMINAL_SQL}"
            " ORDER BY id", (project_id,))]
        if live:
            return (f"experiments {live} of project {project_id} are not in a terminal state;"
                    " kill them first")
        for (experiment_id,) in self.db.execute(
                "SELECT id FROM experiments WHERE project_id = ?", (project_id,)).fetchall():
            self.delete_experiment(experiment_id)  # type: ignore[attr-defined]
        self.db.execute("DELETE FROM notes WHERE project_id = ?", (project_id,))
        self.db.execute("DELETE FROM projects WHERE id = ?", (project_id,))
        return None

    def move_experiments(self, experiment_ids: list[int], destination_id: int, *,
                         source_project_id: int = 0) -> list[dict[str, Any]]:
        """MoveExperiments' per-experiment results (``error`` empty on success)."""
        destination = self.get_project(destination_id)
        if destination.archived:
            raise Internal(f"project ({destination_id}) is archived and cannot add new experiments")
        marks = ",".join("?" * len(experiment_ids)) or "NULL"
        sql = ("SELECT e.id, (e.archived OR p.archived OR w.archived) AS archived FROM experiments e"
               " JOIN projects p ON p.id = e.project_id JOIN workspaces w ON w.id = p.workspace_id"
               f" WHERE e.id IN ({marks})")
        params: list[Any] = list(experiment_ids)
        if source_project_id:
            sql += " AND e.project_id = ?"
            params.append(source_project_id)
        found = {row[0]: bool(row[1]) for row in self.db.execute(sql, params)}
        results, movable = [], []
        for experiment_id in experiment_ids:
            if experiment_id not in found:
                results.append({"error": f"rpc error: code = NotFound desc = experiment"
                                f" {experiment_id} not found", "id": experiment_id})
            elif found[experiment_id]:
                results.append({"error": "rpc error: code = FailedPrecondition desc = Experiment"
                                " is archived.", "id": experiment_id})
            else:
                movable.append(experiment_id)
                results.append({"error": "", "id": experiment_id})
        if movable:
            self.db.execute(f"UPDATE experiments SET project_id = ? WHERE id IN"
                            f" ({','.join('?' * len(movable))})", (destination_id, *movable))
        return results

    # -- notes -------------------------------------------------------------------------------
    def add_note(self, project_id: int, *, name: str, contents: str) -> list[Note]:
        self.get_project(project_id)
        self.db.execute("INSERT INTO notes (project_id, name, contents) VALUES (?, ?, ?)",
                        (project_id, name, contents))
        return self.get_project(project_id).notes

    def put_notes(self, project_id: int, notes: list[dict[str, Any]]) -> list[Note]:
        self.get_project(project_id)
        self.db.execute("DELETE FROM notes WHERE project_id = ?", (project_id,))
        self.db.executemany("INSERT INTO notes (project_id, name, contents) VALUES (?, ?, ?)",
                            [(project_id, str(n.get("name", "")), str(n.get("contents", "")))
                             for n in notes])
        return self.get_project(project_id).notes

    # -- templates ---------------------------------------------------------------------------
    def put_template(self, *, name: str, config: dict[str, Any], workspace_id: int,
                     create_only: bool = False) -> Template:
        if not name:
            raise BadRequest("template name must not be empty")
        if not isinstance(config, dict):
            raise BadRequest("template config must be an object")
        exists = self.db.execute("SELECT 1 FROM templates WHERE name = ?", (name,)).fetchone()
        if exists and create_only:
            raise Conflict(f"template {name!r} already exists")
        self.db.execute("INSERT OR REPLACE INTO templates VALUES (?, ?, ?)",
                        (name, workspace_id, json.dumps(config)))
        return self.get_template(name)

    def get_template(self, name: str) -> Template:
        row = self.db.execute("SELECT * FROM templates WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"template '{name}' not found")
        return _template(row)

    def list_templates(self, *, name: str | None = None, workspace_ids: list[int] | None = None,
                       descending: bool = False) -> list[Template]:
        """By name (the only order the master offers); ``name`` is a case-insensitive
        substring, ``workspace_ids`` keeps templates of those workspaces."""
        sql, args = "SELECT * FROM templates WHERE name LIKE ?", [f"%{name or ''}%"]
        if workspace_ids:
            sql += f" AND workspace_id IN ({','.join('?' * len(workspace_ids))})"
            args.extend(workspace_ids)
        rows = self.db.execute(sql + f" ORDER BY name {'DESC' if descending else 'ASC'}", args)
        return [_template(r) for r in rows.fetchall()]

    def delete_template(self, name: str) -> None:
        if self.db.execute("DELETE FROM templates WHERE name = ?", (name,)).rowcount == 0:
            raise NotFound(f"template '{name}' not found")

    # -- webhooks ----------------------------------------------------------------------------
    # (url, payload) -> delivery; None (a bare store) skips computing events altogether
    webhook_sink: Callable[[str, bytes], None] | None = None

    def add_webhook(self, body: dict[str, Any]) -> Webhook:
        """PostWebhook's checks: a valid url, at least one trigger, a TASK_LOG condition of
        exactly ``{"regex": str}`` (a valid pattern), CUSTOM only in SPECIFIC mode. The name
        may be empty, as on the master."""
        name, url = body.get("name") or "", body.get("url")
        if not isinstance(name, str):
            raise BadRequest("webhook name must be a string")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or not parts.scheme or not (parts.netloc or parts.path.startswith("/")):
            raise BadRequest("valid url required")
        mode = body.get("mode") or "WEBHOOK_MODE_WORKSPACE"
        kind = body.get("webhookType") or "WEBHOOK_TYPE_DEFAULT"
        if mode not in _WEBHOOK_MODES or kind not in _WEBHOOK_TYPES:
            raise BadRequest("unknown webhook mode or type")
        raw = body.get("triggers") or []
        if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
            raise BadRequest("at least one trigger required")
        triggers = []
        for i, trigger in enumerate(raw):
            kind_of, condition = trigger.get("triggerType"), trigger.get("condition") or {}
            if kind_of == webhooks.TASK_LOG:
                if set(condition) != {"regex"} or not isinstance(condition["regex"], str):
                    raise BadRequest("webhook task log condition must have one key 'regex' as"
                                     f" string got {condition}")
                try:
                    compile_regex(condition["regex"], "webhook task log regex")
                except BadRegex as exc:
                    raise BadRequest(str(exc)) from None
            if kind_of == "TRIGGER_TYPE_CUSTOM" and mode != "WEBHOOK_MODE_SPECIFIC":
                raise BadRequest(f"custom trigger only works on webhook with mode 'SPECIFIC'."
                                 f" Got {mode}")
            triggers.append({"id": i + 1, "triggerType": kind_of, "condition": condition})
        workspace_id = body.get("workspaceId") or None
        if workspace_id is not None:
            self.get_workspace(int(workspace_id))
        cur = self.db.execute(
            "INSERT INTO webhooks (name, url, mode, webhook_type, workspace_id, triggers)"
            " VALUES (?, ?, ?, ?, ?, ?)", (name, url, mode, kind, workspace_id, json.dumps(triggers)))
        return self.get_webhook(cur.lastrowid)

    def get_webhook(self, webhook_id: int) -> Webhook:
        row = self.db.execute("SELECT * FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
        if row is None:
            raise NotFound(f"webhook {webhook_id} not found")
        return _webhook(row)

    def list_webhooks(self) -> list[Webhook]:
        return [_webhook(r) for r in self.db.execute("SELECT * FROM webhooks ORDER BY id")]

    def patch_webhook(self, webhook_id: int, patch: dict[str, Any]) -> None:
        """PatchWebhook changes the url only."""
        self.get_webhook(webhook_id)
        url = patch.get("url")
        if not isinstance(url, str) or not urlsplit(url).scheme:
            raise BadRequest("valid url required")
        self.db.execute("UPDATE webhooks SET url = ? WHERE id = ?", (url, webhook_id))

    def delete_webhook(self, webhook_id: int) -> None:
        if self.db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount == 0:
            raise NotFound(f"webhook {webhook_id} not found")
        self.db.execute("DELETE FROM webhook_log_triggers WHERE webhook_id = ?", (webhook_id,))

    def _triggered(self, trigger_type: str) -> list[tuple[Webhook, dict[str, Any]]]:
        """(webhook, trigger) pairs of one type; SQL skips webhooks without it (every log
        line asks)."""
        rows = self.db.execute("SELECT * FROM webhooks WHERE instr(triggers, ?) ORDER BY id",
                               (f'"{trigger_type}"',))
        return [(hook, trigger) for hook in map(_webhook, rows) for trigger in hook.triggers
                if trigger.get("triggerType") == trigger_type]

    @staticmethod
    def _webhook_applies(hook: Webhook, workspace_id: int, config: dict[str, Any] | None) -> bool:
        """The master's matchWebhook: experiments can opt out (integrations.webhooks.exclude),
        workspace webhooks see their workspace only, SPECIFIC ones only experiments naming them."""
        settings = ((config or {}).get("integrations") or {}).get("webhooks") or {}
        if settings.get("exclude"):
            return False
        if hook.workspace_id is not None and hook.workspace_id != workspace_id:
            return False
        if hook.mode == "WEBHOOK_MODE_SPECIFIC":
            return config is not None and (hook.id in (settings.get("webhook_id") or [])
                                           or hook.name in (settings.get("webhook_name") or []))
        return True

    @staticmethod
    def _experiment_event(exp: Any) -> dict[str, Any]:
        resources = exp.config.get("resources") or {}
        return {"id": exp.id, "state": exp.state.removeprefix("STATE_"),
                "name": exp.config.get("name") or exp.name,
                "duration": int(exp.end_time - exp.start_time) if exp.end_time else 0,
                "resource_pool": exp.resource_pool,
                "slots_per_trial": int(resources.get("slots_per_trial") or 1),
                "workspace": exp.workspace_name, "project": exp.project_name}

    def _with_elapsed(self, hook: Webhook, exp: Any, experiment: dict[str, Any]) -> dict[str, Any]:
        """A Slack message also shows how long the experiment has run."""
        if hook.webhook_type != webhooks.SLACK:
            return experiment
        end = exp.end_time if exp.end_time is not None else self.now()  # type: ignore[attr-defined]
        return {**experiment, "elapsed": max(end - exp.start_time, 0.0)}

    def webhook_experiment_state(self, experiment_id: int) -> None:
        """Queue EXPERIMENT_STATE_CHANGE events for the experiment's (new) state."""
        if self.webhook_sink is None:
            return
        matching = self._triggered(webhooks.STATE_CHANGE)
        if not matching:
            return
        exp = self.get_experiment(experiment_id)  # type: ignore[attr-defined]
        experiment = self._experiment_event(exp)
        for hook, trigger in matching:
            if ((trigger.get("condition") or {}).get("state") == experiment["state"]
                    and self._webhook_applies(hook, exp.workspace_id, exp.config)):
                self.webhook_sink(hook.url, webhooks.experiment_payload(
                    hook.webhook_type, self._with_elapsed(hook, exp, experiment)))

    def webhook_custom(self, experiment_id: int, trial_id: int, data: dict[str, Any]) -> None:
        """PostWebhookEventData (the Core API's ``alert``): a CUSTOM event to each webhook the
        experiment names in integrations.webhooks (by id, or by name in its workspace or
        global), once per CUSTOM trigger."""
        exp = self.get_experiment(experiment_id)  # type: ignore[attr-defined]
        settings = (exp.config.get("integrations") or {}).get("webhooks") or {}
        if self.webhook_sink is None or not settings or settings.get("exclude"):
            return
        hooks = []
        for webhook_id in settings.get("webhook_id") or []:
            hook = self.get_webhook(int(webhook_id))
            if hook.workspace_id in (None, exp.workspace_id):
                hooks.append(hook)
        for name in settings.get("webhook_name") or []:
            row = self.db.execute("SELECT * FROM webhooks WHERE name = ? AND (workspace_id = ?"
                                  " OR workspace_id IS NULL) ORDER BY id LIMIT 1",
                                  (name, exp.workspace_id)).fetchone()
            if row is not None:
                hooks.append(_webhook(row))
        level = str(data.get("level") or "LOG_LEVEL_UNSPECIFIED").removeprefix("LOG_LEVEL_")
        custom = {"title": str(data.get("title") or ""),
                  "description": str(data.get("description") or ""), "level": level}
        experiment = dict(self._experiment_event(exp), trial_id=trial_id)
        for hook in hooks:
            for trigger in hook.triggers:
                if trigger.get("triggerType") == webhooks.CUSTOM:
                    self.webhook_sink(hook.url, webhooks.experiment_payload(
                        hook.webhook_type, self._with_elapsed(hook, exp, experiment),
                        custom=custom))

    def webhook_task_logs(self, task_id: str, lines: list[str]) -> None:
        """Queue TASK_LOG events: each trigger fires at most once per task."""
        if self.webhook_sink is None:
            return
        matching = self._triggered(webhooks.TASK_LOG)
        if not matching:
            return
        row = self.db.execute(
            "SELECT e.id, p.workspace_id, c.config FROM trials t JOIN experiments e ON"
            " e.id = t.experiment_id JOIN projects p ON p.id = e.project_id JOIN exp_configs c"
            " ON c.id = e.config_id WHERE t.task_id = ?", (task_id,)).fetchone()
        if row is not None:
            workspace_id, config = row["workspace_id"], json.loads(row["config"])
        else:
            command = self.db.execute("SELECT workspace_id FROM commands WHERE id = ?",
                                      (task_id,)).fetchone()
            workspace_id, config = (command[0] if command else 1), None
        # whether a hook applies does not depend on the line: decided once, not per line
        matching = [(hook, trigger) for hook, trigger in matching
                    if self._webhook_applies(hook, workspace_id, config)]
        for line in lines:
            if webhooks.CONFIG_MARK in line:  # the trial prints its config, patterns and all
                continue
            for hook, trigger in matching:
                regex = trigger["condition"]["regex"]
                if not searches(regex, line):
                    continue
                fired = self.db.execute(
                    "INSERT OR IGNORE INTO webhook_log_triggers VALUES (?, ?, ?)",
                    (task_id, hook.id, trigger["id"])).rowcount
                if fired:
                    self.webhook_sink(hook.url, webhooks.task_log_payload(
                        hook.webhook_type, task_id=task_id, node_name=AGENT_ID, regex=regex,
                        line=line))
