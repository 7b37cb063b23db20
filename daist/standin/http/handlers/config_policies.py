"""Handlers: task config policies, global and per workspace (``det config-policies``).

Who may do what is the master's basic authz (configpolicy/authz_basic_impl.go): anyone reads;
a workspace's policies are set or deleted by its owner or an admin, the global ones by an
admin. The master wraps some errors in a second status, so their messages carry the first
one's ``rpc error: code = ... desc = ...`` text; those are kept as it sends them.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.common.errors import Forbidden, NotFound
from daist.standin.http.auth import USER
from daist.standin.http.reqs import as_int, body_object
from daist.standin.state.entities import Workspace
from daist.standin.state.store_policies import check_read_workload_type, check_workload_type

Json = dict[str, Any]


def _workspace(backend: Backend, workspace_id: str) -> Workspace:
    try:
        return backend.store.get_workspace(as_int(workspace_id, "workspaceId"))
    except NotFound as exc:
        raise NotFound(f"rpc error: code = NotFound desc = {exc.message}") from None


def _require_workspace_editor(request: web.Request, workspace: Workspace) -> None:
    user = request[USER]
    if not user.admin and user.id != workspace.user_id:
        raise Forbidden("only admins may set config policies for workspaces")


def _require_admin(request: web.Request) -> None:
    if not request[USER].admin:
        raise Forbidden("rpc error: code = PermissionDenied desc = user does not have permission")


async def _document(request: web.Request) -> str:
    text = (await body_object(request)).get("configPolicies") or ""
    return text if isinstance(text, str) else ""


async def put_workspace_policies(backend: Backend, request: web.Request, workspaceId: str,
                                 workloadType: str) -> Json:
    workspace = _workspace(backend, workspaceId)
    _require_workspace_editor(request, workspace)
    policies = backend.store.set_policies(workspace.id, workloadType, await _document(request),
                                          user_id=request[USER].id)
    return {"configPolicies": policies}


async def put_global_policies(backend: Backend, request: web.Request, workloadType: str) -> Json:
    _require_admin(request)
    policies = backend.store.set_policies(None, workloadType, await _document(request),
                                          user_id=request[USER].id)
    return {"configPolicies": policies}


async def get_workspace_policies(backend: Backend, request: web.Request, workspaceId: str,
                                 workloadType: str) -> Json:
    workspace = _workspace(backend, workspaceId)
    check_read_workload_type(workloadType)
    return {"configPolicies": backend.store.get_policies(workspace.id, workloadType)}


async def get_global_policies(backend: Backend, request: web.Request, workloadType: str) -> Json:
    check_read_workload_type(workloadType)
    return {"configPolicies": backend.store.get_policies(None, workloadType)}


async def delete_workspace_policies(backend: Backend, request: web.Request, workspaceId: str,
                                    workloadType: str) -> Json:
    workspace = _workspace(backend, workspaceId)
    _require_workspace_editor(request, workspace)
    check_workload_type(workloadType, end=".")
    backend.store.delete_policies(workspace.id, workloadType)
    return {}


async def delete_global_policies(backend: Backend, request: web.Request,
                                 workloadType: str) -> Json:
    _require_admin(request)
    check_workload_type(workloadType, end=".")
    backend.store.delete_policies(None, workloadType)
    return {}
