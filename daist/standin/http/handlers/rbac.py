"""Handlers: the RBAC read endpoints, answered only when the stand-in runs with ``--rbac``.

Roles and groups are fixed: roles 1 ClusterAdmin, 2 WorkspaceAdmin, 3 Editor, 4 Viewer;
group 1 "admins" (user 1) and group 2 "everyone" (all users). Without ``--rbac`` every route
here answers 404, as a master without the RBAC feature has nothing to show.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from daist.standin.http.auth import USER
from daist.standin.backend import Backend
from daist.standin.common.errors import NotFound
from daist.standin.http.reqs import as_int, body
from daist.standin.common.wire import Page

Json = dict[str, Any]
ROLES = ((1, "ClusterAdmin"), (2, "WorkspaceAdmin"), (3, "Editor"), (4, "Viewer"))
GROUPS = ((1, "admins"), (2, "everyone"))


def _need_rbac(backend: Backend) -> None:
    if not backend.options.rbac:
        raise NotFound("RBAC is not enabled on this stand-in (start it with --rbac)")


def _role(role_id: int, name: str) -> Json:
    return {"roleId": role_id, "name": name, "permissions": [],
            "scopeTypeMask": {"cluster": role_id == 1, "workspace": role_id != 1}}


def _role_of(admin: bool) -> tuple[int, str]:
    """ClusterAdmin for admins (and the admins group), Viewer for everyone else."""
    return ROLES[0] if admin else ROLES[3]


def _role_summary(admin: bool) -> Json:
    role_id, name = _role_of(admin)
    return {"roles": [_role(role_id, name)],
            "assignments": [{"roleId": role_id, "scopeWorkspaceIds": [], "scopeCluster": True}]}


def _assignment(role_id: int, name: str) -> Json:
    return {"role": _role(role_id, name), "scopeWorkspaceId": None, "scopeCluster": True}


def _members(backend: Backend, group_id: int) -> list[Any]:
    users = backend.store.list_users()
    return users[:1] if group_id == 1 else users


def _group(group_id: int) -> tuple[int, str]:
    for gid, name in GROUPS:
        if gid == group_id:
            return gid, name
    raise NotFound(f"group {group_id} not found")


async def _paged_body(request: web.Request, key: str, items: list[Any]) -> Json:
    data = await body(request)
    data = data if isinstance(data, dict) else {}
    page = Page.of(total=len(items), offset=int(data.get("offset") or 0),
                   limit=int(data.get("limit") or 0))
    return {key: page.cut(items), "pagination": page.to_dict()}


async def permissions_summary(backend: Backend, request: web.Request) -> Json:
    _need_rbac(backend)
    return _role_summary(request[USER].admin)


async def search_groups(backend: Backend, request: web.Request) -> Json:
    _need_rbac(backend)
    groups = [{"group": {"groupId": gid, "name": name}, "numMembers": len(_members(backend, gid))}
              for gid, name in GROUPS]
    return await _paged_body(request, "groups", groups)


async def search_roles(backend: Backend, request: web.Request) -> Json:
    _need_rbac(backend)
    return await _paged_body(request, "roles", [_role(i, n) for i, n in ROLES])


roles_by_assignability = search_roles  # every role is assignable


async def roles_by_user(backend: Backend, request: web.Request, userId: str) -> Json:
    _need_rbac(backend)
    user = backend.store.get_user(as_int(userId, "userId"))
    role_id, name = _role_of(user.admin)
    return {"roles": [{"role": _role(role_id, name), "groupRoleAssignments": [],
                       "userRoleAssignments": [{"userId": user.id,
                                                "roleAssignment": _assignment(role_id, name)}]}]}


async def workspace_roles(backend: Backend, request: web.Request, workspaceId: str) -> Json:
    _need_rbac(backend)
    backend.store.get_workspace(as_int(workspaceId, "workspaceId"))
    users = [u.to_dict() for u in backend.store.list_users()]
    return {"groups": [], "usersAssignedDirectly": users, "assignments": []}


async def get_group(backend: Backend, request: web.Request, groupId: str) -> Json:
    _need_rbac(backend)
    gid, name = _group(as_int(groupId, "groupId"))
    return {"group": {"groupId": gid, "name": name,
                      "users": [u.to_dict() for u in _members(backend, gid)]}}


async def roles_by_group(backend: Backend, request: web.Request, groupId: str) -> Json:
    _need_rbac(backend)
    gid, _ = _group(as_int(groupId, "groupId"))
    return _role_summary(gid == 1)
