"""Handlers: user groups, roles and role assignments (``det user-group``, ``det rbac``).

A 0.38.1 master serves these with RBAC off too (its basic authz): anyone reads; only admins
change groups (403 "user does not have permission") or assignments (403 "permission
denied"). ``--rbac`` turns on ``rbac_enabled`` in ``/info`` (the web UI's switch); the
assignments are kept and listed in both modes but not enforced here.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.common.errors import BadRequest, Forbidden
from daist.standin.common.wire import Page
from daist.standin.http.auth import USER
from daist.standin.http.reqs import as_int, body_object
from daist.standin.state.store_rbac import (MAX_LIMIT, ROLES, Assignment, parse_assignments,
                                            role_json)

Json = dict[str, Any]


def _require_group_admin(request: web.Request) -> None:
    if not request[USER].admin:
        raise Forbidden("user does not have permission")


def _require_role_admin(request: web.Request) -> None:
    if not request[USER].admin:
        raise Forbidden("permission denied")


def _users(backend: Backend, user_ids: list[int]) -> list[Json]:
    return [backend.store.get_user(u).to_dict() for u in user_ids]


def _group_details(backend: Backend, group_id: int) -> Json:
    group = backend.store.get_group(group_id)
    return {**group, "users": _users(backend, backend.store.group_member_ids(group_id))}


def _ids(data: Json, key: str) -> list[int]:
    return [as_int(v, key) for v in data.get(key) or []]


def _page(data: Json, total: int, *, default_limit: int = 0) -> Page:
    return Page.of(total=total, offset=int(data.get("offset") or 0),
                   limit=int(data.get("limit") or default_limit))


# -- groups --------------------------------------------------------------------------------
async def create_group(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    _require_group_admin(request)
    group_id = backend.store.create_group(str(data.get("name") or ""), _ids(data, "addUsers"))
    return {"group": _group_details(backend, group_id)}


async def search_groups(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    limit = int(data.get("limit") or 0)
    if limit == 0 or limit > MAX_LIMIT:
        raise BadRequest(f"Bad request: limit is required and must be <= {MAX_LIMIT}")
    found = backend.store.search_groups(name=str(data.get("name") or ""),
                                        user_id=int(data.get("userId") or 0))
    page = _page(data, len(found))
    return {"groups": [{"group": g, "numMembers": n} for g, n in page.cut(found)],
            "pagination": page.to_dict()}


async def get_group(backend: Backend, request: web.Request, groupId: str) -> Json:
    return {"group": _group_details(backend, as_int(groupId, "groupId"))}


async def update_group(backend: Backend, request: web.Request, groupId: str) -> Json:
    data = await body_object(request)
    _require_group_admin(request)
    group_id = as_int(groupId, "groupId")
    backend.store.update_group(group_id, name=str(data.get("name") or ""),
                               add=_ids(data, "addUsers"), remove=_ids(data, "removeUsers"))
    return {"group": _group_details(backend, group_id)}


async def delete_group(backend: Backend, request: web.Request, groupId: str) -> Json:
    _require_group_admin(request)
    backend.store.delete_group(as_int(groupId, "groupId"))
    return {}


# -- roles and assignments -----------------------------------------------------------------
async def _roles_page(request: web.Request, role_ids: list[int]) -> Json:
    data = await body_object(request)
    page = _page(data, len(role_ids), default_limit=MAX_LIMIT)
    return {"roles": [role_json(r) for r in page.cut(role_ids)], "pagination": page.to_dict()}


async def search_roles(backend: Backend, request: web.Request) -> Json:
    return await _roles_page(request, [r for r, _, _ in ROLES])


async def roles_by_assignability(backend: Backend, request: web.Request) -> Json:
    """With a workspace, only the roles that may be assigned at a workspace."""
    data = await body_object(request)
    local = data.get("workspaceId") is not None
    return await _roles_page(request, [r for r, _, global_only in ROLES
                                       if not (local and global_only)])


async def roles_by_ids(backend: Backend, request: web.Request) -> Json:
    """Each role with every assignment of it (404 "not found" for an unknown id)."""
    data = await body_object(request)
    roles = []
    for role_id in _ids(data, "roleIds"):
        role_json(role_id)
        found = _with_assignments(backend.store.assignments(role_id=role_id))
        roles.append(found[0] if found else {"role": role_json(role_id),
                                             "groupRoleAssignments": [],
                                             "userRoleAssignments": []})
    return {"roles": roles}


def _summary(assignments: list[Assignment]) -> Json:
    """Roles and, per role, its workspaces and whether it also holds cluster-wide."""
    by_role: dict[int, list[Assignment]] = {}
    for item in assignments:
        by_role.setdefault(item.role_id, []).append(item)
    return {"roles": [role_json(r) for r in by_role],
            "assignments": [{"roleId": r, "scopeWorkspaceIds": [a.workspace_id for a in items
                                                                if a.workspace_id is not None],
                             "scopeCluster": any(a.workspace_id is None for a in items)}
                            for r, items in by_role.items()]}


def _with_assignments(assignments: list[Assignment]) -> list[Json]:
    """RoleWithAssignments per role: its group and user assignments."""
    out: dict[int, Json] = {}
    for item in assignments:
        entry = out.setdefault(item.role_id, {"role": role_json(item.role_id),
                                              "groupRoleAssignments": [],
                                              "userRoleAssignments": []})
        if item.group_id is not None:
            entry["groupRoleAssignments"].append({"groupId": item.group_id,
                                                  "roleAssignment": item.role_assignment()})
        else:
            entry["userRoleAssignments"].append({"userId": item.user_id,
                                                 "roleAssignment": item.role_assignment()})
    return list(out.values())


async def permissions_summary(backend: Backend, request: web.Request) -> Json:
    user = request[USER]
    store = backend.store
    return _summary(store.assignments(user_id=user.id, group_ids=store.user_group_ids(user.id)))


async def roles_by_user(backend: Backend, request: web.Request, userId: str) -> Json:
    store = backend.store
    user = store.get_user(as_int(userId, "userId"))
    return {"roles": _with_assignments(
        store.assignments(user_id=user.id, group_ids=store.user_group_ids(user.id)))}


async def roles_by_group(backend: Backend, request: web.Request, groupId: str) -> Json:
    group_id = as_int(groupId, "groupId")
    backend.store.get_group(group_id)
    return _summary(backend.store.assignments(group_ids=(group_id,)))


async def workspace_roles(backend: Backend, request: web.Request, workspaceId: str) -> Json:
    """GetGroupsAndUsersAssignedToWorkspace; ``name`` keeps groups by name and users by
    display name or username (substrings)."""
    store = backend.store
    workspace = store.get_workspace(as_int(workspaceId, "workspaceId"))
    name = request.query.get("name") or ""
    kept, groups, users = [], [], []
    for item in store.assignments(workspace_id=workspace.id):
        if item.group_id is not None:
            group = _group_details(backend, item.group_id)
            if name and name not in group["name"]:
                continue
            groups.append(group)
        else:
            user = store.get_user(item.user_id).to_dict()
            if name and name not in (user.get("displayName") or "") \
                    and name not in user["username"]:
                continue
            users.append(user)
        kept.append(item)
    return {"groups": groups, "usersAssignedDirectly": users,
            "assignments": _with_assignments(kept)}


async def add_assignments(backend: Backend, request: web.Request) -> Json:
    items = parse_assignments(await body_object(request))
    _require_role_admin(request)
    backend.store.add_assignments(items)
    return {}


async def remove_assignments(backend: Backend, request: web.Request) -> Json:
    items = parse_assignments(await body_object(request))
    _require_role_admin(request)
    backend.store.remove_assignments(items)
    return {}
