"""Workspaces, projects, notes, templates and webhooks of ``StandinStore``."""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Callable

from daist.standin.entities import Note, Project, Template, Webhook, Workspace
from daist.standin.errors import BadRequest, Conflict, NotFound

_WORKSPACE_SQL = """
SELECT w.*, u.username,
  (SELECT COUNT(*) FROM projects p WHERE p.workspace_id = w.id) AS num_projects,
  (SELECT COUNT(*) FROM experiments e JOIN projects p ON p.id = e.project_id
     WHERE p.workspace_id = w.id) AS num_experiments
FROM workspaces w JOIN users u ON u.id = w.user_id
"""

_PROJECT_SQL = """
SELECT p.*, u.username, w.name AS workspace_name,
  (SELECT COUNT(*) FROM experiments e WHERE e.project_id = p.id) AS num_experiments,
  (SELECT COUNT(*) FROM experiments e WHERE e.project_id = p.id
     AND e.state = 'STATE_ACTIVE') AS num_active,
  (SELECT MAX(e.start_time) FROM experiments e WHERE e.project_id = p.id) AS last_started
FROM projects p JOIN users u ON u.id = p.user_id JOIN workspaces w ON w.id = p.workspace_id
"""

_WEBHOOK_MODES = ("WEBHOOK_MODE_WORKSPACE", "WEBHOOK_MODE_SPECIFIC", "WEBHOOK_MODE_UNSPECIFIED")
_WEBHOOK_TYPES = ("WEBHOOK_TYPE_DEFAULT", "WEBHOOK_TYPE_SLACK", "WEBHOOK_TYPE_UNSPECIFIED")


def _workspace(row: sqlite3.Row) -> Workspace:
    return Workspace(id=row["id"], name=row["name"], user_id=row["user_id"],
                     username=row["username"], archived=bool(row["archived"]),
                     immutable=bool(row["immutable"]), pinned=bool(row["pinned"]),
                     num_projects=row["num_projects"], num_experiments=row["num_experiments"])


def _template(row: sqlite3.Row) -> Template:
    return Template(name=row["name"], workspace_id=row["workspace_id"],
                    config=json.loads(row["config"]))


def _webhook(row: sqlite3.Row) -> Webhook:
    return Webhook(id=row["id"], name=row["name"], url=row["url"], mode=row["mode"],
                   webhook_type=row["webhook_type"], workspace_id=row["workspace_id"],
                   triggers=json.loads(row["triggers"]))


class OrgStore:
    db: sqlite3.Connection
    now: Callable[[], float]

    # -- workspaces --------------------------------------------------------------------------
    def add_workspace(self, *, name: str, user_id: int, immutable: bool = False) -> Workspace:
        try:
            cur = self.db.execute(
                "INSERT INTO workspaces (name, user_id, immutable) VALUES (?, ?, ?)",
                (name, user_id, int(immutable)))
        except sqlite3.IntegrityError:
            raise Conflict(f"workspace {name!r} already exists") from None
        return self.get_workspace(cur.lastrowid)

    def get_workspace(self, workspace_id: int) -> Workspace:
        row = self.db.execute(_WORKSPACE_SQL + " WHERE w.id = ?", (workspace_id,)).fetchone()
        if row is None:
            raise NotFound(f"workspace {workspace_id} not found")
        return _workspace(row)

    def list_workspaces(self, *, name: str | None = None) -> list[Workspace]:
        """By id; ``name`` is an exact match. sortBy/orderBy/archived/pinned are not implemented."""
        if name:
            rows = self.db.execute(_WORKSPACE_SQL + " WHERE w.name = ? ORDER BY w.id", (name,))
        else:
            rows = self.db.execute(_WORKSPACE_SQL + " ORDER BY w.id")
        return [_workspace(r) for r in rows.fetchall()]

    # -- projects ----------------------------------------------------------------------------
    def _project(self, row: sqlite3.Row) -> Project:
        notes = [Note(name=n["name"], contents=n["contents"]) for n in self.db.execute(
            "SELECT name, contents FROM notes WHERE project_id = ? ORDER BY id", (row["id"],))]
        return Project(id=row["id"], name=row["name"], key=row["key"],
                       description=row["description"], workspace_id=row["workspace_id"],
                       workspace_name=row["workspace_name"], user_id=row["user_id"],
                       username=row["username"], archived=bool(row["archived"]),
                       immutable=bool(row["immutable"]), notes=notes,
                       num_experiments=row["num_experiments"], num_active_experiments=row["num_active"],
                       num_runs=row["num_experiments"], last_experiment_started_at=row["last_started"])

    def add_project(self, *, workspace_id: int, name: str, user_id: int, description: str = "",
                    key: str | None = None, immutable: bool = False) -> Project:
        self.get_workspace(workspace_id)
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
            raise NotFound(f"project {project_id} not found")
        return self._project(row)

    def list_projects(self, *, workspace_id: int | None = None) -> list[Project]:
        """By id; the name/users/archived filters of GetWorkspaceProjects are not implemented."""
        if workspace_id is None:
            rows = self.db.execute(_PROJECT_SQL + " ORDER BY p.id").fetchall()
        else:
            self.get_workspace(workspace_id)
            rows = self.db.execute(_PROJECT_SQL + " WHERE p.workspace_id = ? ORDER BY p.id",
                                   (workspace_id,)).fetchall()
        return [self._project(r) for r in rows]

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

    def delete_project(self, project_id: int) -> None:
        project = self.get_project(project_id)
        if project.immutable:
            raise BadRequest(f"project {project_id} is immutable")
        if project.num_experiments:
            raise BadRequest(f"project {project_id} still has experiments")
        self.db.execute("DELETE FROM notes WHERE project_id = ?", (project_id,))
        self.db.execute("DELETE FROM projects WHERE id = ?", (project_id,))

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
            raise NotFound(f"template {name!r} not found")
        return _template(row)

    def list_templates(self, *, name: str | None = None) -> list[Template]:
        """By name; ``name`` is a substring filter. workspaceIds/sortBy are not implemented."""
        rows = self.db.execute("SELECT * FROM templates WHERE name LIKE ? ORDER BY name",
                               (f"%{name or ''}%",)).fetchall()
        return [_template(r) for r in rows]

    def delete_template(self, name: str) -> None:
        if self.db.execute("DELETE FROM templates WHERE name = ?", (name,)).rowcount == 0:
            raise NotFound(f"template {name!r} not found")

    # -- webhooks ----------------------------------------------------------------------------
    def add_webhook(self, body: dict[str, Any]) -> Webhook:
        name, url = body.get("name"), body.get("url")
        if not name or not url:
            raise BadRequest("a webhook needs a name and a url")
        mode = body.get("mode") or "WEBHOOK_MODE_WORKSPACE"
        kind = body.get("webhookType") or "WEBHOOK_TYPE_DEFAULT"
        if mode not in _WEBHOOK_MODES or kind not in _WEBHOOK_TYPES:
            raise BadRequest("unknown webhook mode or type")
        triggers = [{"id": i + 1, "triggerType": t.get("triggerType"),
                     "condition": t.get("condition") or {}}
                    for i, t in enumerate(body.get("triggers") or []) if isinstance(t, dict)]
        cur = self.db.execute(
            "INSERT INTO webhooks (name, url, mode, webhook_type, workspace_id, triggers)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (name, url, mode, kind, body.get("workspaceId"), json.dumps(triggers)))
        return self.get_webhook(cur.lastrowid)

    def get_webhook(self, webhook_id: int) -> Webhook:
        row = self.db.execute("SELECT * FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
        if row is None:
            raise NotFound(f"webhook {webhook_id} not found")
        return _webhook(row)

    def list_webhooks(self) -> list[Webhook]:
        return [_webhook(r) for r in self.db.execute("SELECT * FROM webhooks ORDER BY id")]

    def delete_webhook(self, webhook_id: int) -> None:
        if self.db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount == 0:
            raise NotFound(f"webhook {webhook_id} not found")
