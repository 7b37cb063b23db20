"""User groups, roles and role assignments of ``StandinStore`` (the master's ``usergroup`` and
``rbac`` packages, which a 0.38.1 master serves whether RBAC is on or not).

Roles are the master's own rows (its migrations seed them; nobody creates roles through the
API); a role with a global-only permission can only be assigned at cluster scope. Groups and
assignments are what clients make. A user assigned directly is, on the master, an assignment
to the user's personal group; here it is a row naming the user, shown the same way. The
master's migrations give user 1 (admin) ClusterAdmin at cluster scope, and a workspace's
creator gets WorkspaceAdmin on it (``security.authz.workspace_creator_assign_role``).
Permission lists of roles are not kept (``permissions`` is empty).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

from daist.standin.common.errors import BadRequest, Conflict, NotFound

# (id, name, global only) as the master's migrations insert them
ROLES = ((1, "ClusterAdmin", True), (2, "WorkspaceAdmin", False), (3, "WorkspaceCreator", True),
         (4, "Viewer", False), (5, "Editor", False), (6, "ModelRegistryViewer", False),
         (7, "EditorRestricted", False), (8, "GenAIUser", False),
         (9, "EditorProjectRestricted", False), (10, "TokenCreator", True))
CLUSTER_ADMIN, WORKSPACE_ADMIN = 1, 2
PERSONAL_GROUP_MARK = "DeterminedPersonalGroup"
MAX_LIMIT = 500


def role_json(role_id: int) -> dict[str, Any]:
    for rid, name, global_only in ROLES:
        if rid == role_id:
            return {"roleId": rid, "name": name, "permissions": [],
                    "scopeTypeMask": {"cluster": True, "workspace": not global_only}}
    raise NotFound("not found")


@dataclass(frozen=True)
class Assignment:
    """``role_id`` given to a group or a user, at a workspace or (``workspace_id`` None) the
    cluster."""
    role_id: int
    group_id: int | None
    user_id: int | None
    workspace_id: int | None

    def role_assignment(self) -> dict[str, Any]:
        return {"role": role_json(self.role_id), "scopeWorkspaceId": self.workspace_id,
                "scopeCluster": self.workspace_id is None}


def _assignment(row: sqlite3.Row) -> Assignment:
    return Assignment(role_id=row["role_id"], group_id=row["group_id"], user_id=row["user_id"],
                      workspace_id=row["workspace_id"])


def parse_assignments(body: dict[str, Any]) -> list[Assignment]:
    """AssignRoles/RemoveAssignments' ``groupRoleAssignments`` and ``userRoleAssignments``."""
    out = []
    for key, who in (("groupRoleAssignments", "groupId"), ("userRoleAssignments", "userId")):
        for item in body.get(key) or []:
            if not isinstance(item, dict):
                raise BadRequest(f"{key} must be a list of objects")
            assignment = item.get("roleAssignment") or {}
            role_id = int((assignment.get("role") or {}).get("roleId") or 0)
            workspace = assignment.get("scopeWorkspaceId")
            target = int(item.get(who) or 0)
            out.append(Assignment(role_id=role_id,
                                  group_id=target if who == "groupId" else None,
                                  user_id=target if who == "userId" else None,
                                  workspace_id=None if workspace is None else int(workspace)))
    if not out:
        raise BadRequest("must specify at least one group or user assignment")
    return out


class RbacStore:
    db: sqlite3.Connection
    now: Callable[[], float]

    # -- groups ------------------------------------------------------------------------------
    def create_group(self, name: str, user_ids: list[int]) -> int:
        if PERSONAL_GROUP_MARK in name:
            raise BadRequest(f"group name cannot contain '{PERSONAL_GROUP_MARK}'")
        try:
            group_id = self.db.execute("INSERT INTO user_groups (name) VALUES (?)",
                                       (name,)).lastrowid
        except sqlite3.IntegrityError:
            raise Conflict("row already exists") from None
        self._add_members(group_id, user_ids)
        return int(group_id)

    def _add_members(self, group_id: int, user_ids: list[int]) -> None:
        for user_id in user_ids:
            self.get_user(user_id)  # type: ignore[attr-defined]
        self.db.executemany("INSERT OR IGNORE INTO group_members VALUES (?, ?)",
                            [(group_id, u) for u in user_ids])

    def get_group(self, group_id: int) -> dict[str, Any]:
        row = self.db.execute("SELECT id, name FROM user_groups WHERE id = ?",
                              (group_id,)).fetchone()
        if row is None:
            raise NotFound(f"Error getting group {group_id}: not found")
        return {"groupId": row["id"], "name": row["name"]}

    def group_member_ids(self, group_id: int) -> list[int]:
        return [r[0] for r in self.db.execute(
            "SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id", (group_id,))]

    def search_groups(self, *, name: str = "", user_id: int = 0) -> list[tuple[dict[str, Any], int]]:
        """(group, member count) by id; ``name`` a case-insensitive substring, ``user_id`` a
        member."""
        sql = ("SELECT g.id, g.name, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id)"
               " AS n FROM user_groups g WHERE g.name LIKE ?")
        args: list[Any] = [f"%{name}%"]
        if user_id:
            sql += " AND g.id IN (SELECT group_id FROM group_members WHERE user_id = ?)"
            args.append(user_id)
        return [({"groupId": r["id"], "name": r["name"]}, r["n"])
                for r in self.db.execute(sql + " ORDER BY g.id", args)]

    def update_group(self, group_id: int, *, name: str, add: list[int], remove: list[int]) -> str:
        group = self.get_group(group_id)
        if name and name != group["name"]:
            if PERSONAL_GROUP_MARK in name:
                raise BadRequest(f"group name cannot contain '{PERSONAL_GROUP_MARK}'")
            try:
                self.db.execute("UPDATE user_groups SET name = ? WHERE id = ?", (name, group_id))
            except sqlite3.IntegrityError:
                raise Conflict("row already exists") from None
        self._add_members(group_id, add)
        self.db.executemany("DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
                            [(group_id, u) for u in remove])
        return name or group["name"]

    def delete_group(self, group_id: int) -> None:
        self.get_group(group_id)
        for sql in ("DELETE FROM group_members WHERE group_id = ?",
                    "DELETE FROM role_assignments WHERE group_id = ?",
                    "DELETE FROM user_groups WHERE id = ?"):
            self.db.execute(sql, (group_id,))

    # -- role assignments --------------------------------------------------------------------
    def _check_assignment(self, item: Assignment) -> None:
        role = role_json(item.role_id)
        if item.group_id is not None:
            self.get_group(item.group_id)
        else:
            self.get_user(item.user_id)  # type: ignore[attr-defined]
        if item.workspace_id is not None:
            self.get_workspace(item.workspace_id)  # type: ignore[attr-defined]
            if not role["scopeTypeMask"]["workspace"]:
                raise BadRequest("a global-only permission cannot be assigned to a local scope")

    def add_assignments(self, items: list[Assignment]) -> None:
        for item in items:
            self._check_assignment(item)
        for item in items:
            who = (f"group id {item.group_id}" if item.group_id is not None
                   else f"user id {item.user_id}")
            try:
                self.db.execute("INSERT INTO role_assignments VALUES (?, ?, ?, ?)",
                                (item.role_id, item.group_id, item.user_id, item.workspace_id))
            except sqlite3.IntegrityError:
                raise Conflict(f"Error inserting assignment for {who}: row already exists") from None

    def remove_assignments(self, items: list[Assignment]) -> None:
        for item in items:
            gone = self.db.execute(
                "DELETE FROM role_assignments WHERE role_id = ? AND group_id IS ? AND user_id IS ?"
                " AND workspace_id IS ?",
                (item.role_id, item.group_id, item.user_id, item.workspace_id)).rowcount
            if not gone:
                who = (f"group id {item.group_id}" if item.group_id is not None
                       else f"user id {item.user_id}")
                raise NotFound(f"Error deleting assignment for {who}: not found")

    def assignments(self, *, user_id: int | None = None, group_ids: tuple[int, ...] = (),
                    workspace_id: int | None = None, role_id: int | None = None) -> list[Assignment]:
        """Assignments of the user directly and of ``group_ids``; or of one workspace; or of
        one role."""
        if workspace_id is not None or role_id is not None:
            column, value = ("workspace_id", workspace_id) if role_id is None else ("role_id", role_id)
            rows = self.db.execute(f"SELECT * FROM role_assignments WHERE {column} = ?"
                                   " ORDER BY rowid", (value,))
        else:
            marks = ",".join("?" * len(group_ids)) or "NULL"
            rows = self.db.execute(
                f"SELECT * FROM role_assignments WHERE user_id IS ? OR group_id IN ({marks})"
                " ORDER BY rowid", (user_id, *group_ids))
        return [_assignment(r) for r in rows]

    def user_group_ids(self, user_id: int) -> tuple[int, ...]:
        return tuple(r[0] for r in self.db.execute(
            "SELECT group_id FROM group_members WHERE user_id = ? ORDER BY group_id", (user_id,)))

    def assign_workspace_creator(self, workspace_id: int, user_id: int) -> None:
        """The creator of a workspace gets WorkspaceAdmin on it, as the master's default
        ``workspace_creator_assign_role`` gives."""
        self.add_assignments([Assignment(role_id=WORKSPACE_ADMIN, group_id=None, user_id=user_id,
                                         workspace_id=workspace_id)])
