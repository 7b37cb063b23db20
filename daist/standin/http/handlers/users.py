"""Handlers: users (list, get, create, patch, password, bulk activation) and web settings.

Authorization is Determined 0.38.1's basic (RBAC off) user authz: any user may read users and
change their own password, username and display name; creating users and changing another
user's password, names, admin flag, activation or agent user/group takes an admin. A denial
is 403 / PERMISSION_DENIED with the master's message, checked before anything is written.
"""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from daist.standin.http.auth import USER, require_admin, require_admin_or_owner
from daist.standin.backend import Backend
from daist.standin.state.entities import User
from daist.standin.common.errors import BadRequest
from daist.standin.state.passwords import client_hash
from daist.standin.http.reqs import as_int, body, body_object, paged, q_bool

Json = dict[str, Any]
DETERMINED = "determined"
_NOT_GRAPHIC = re.compile(r"[^\x21-\x7e\s]")  # Determined allows printable ASCII and spaces
_OTHERS = "only admin privileged users can update other users"
_PASSWORDS = "only admin privileged users can change other user's passwords"


def _clean_name(target: User | None, name: Any, min_length: int) -> str:
    """A username or display name as Determined accepts it (its clearUsername rules)."""
    if not isinstance(name, str):
        raise BadRequest("username and display name must be strings")
    clean = name.strip()
    if _NOT_GRAPHIC.search(clean):
        raise BadRequest("Display name and username cannot contain non-ASCII characters.")
    if len(clean) < min_length:
        raise BadRequest("Display name or username value has minimum length.")
    admin = target.admin if target is not None else False
    if not admin and clean.lower() == "admin":
        raise BadRequest("Non-admin user cannot be renamed 'admin'")
    if (target is None or target.username != DETERMINED) and clean.lower() == DETERMINED:
        raise BadRequest("User cannot be renamed 'determined'")
    return clean


def _agent_user_group(raw: Any) -> dict[str, Any] | None:
    """``v1AgentUserGroup``: all four fields or none (an empty group unlinks)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadRequest("agentUserGroup must be an object")
    keys = ("agentUid", "agentGid", "agentUser", "agentGroup")
    given = {key: raw.get(key) for key in keys}
    if all(value is None for value in given.values()):
        return {}
    if any(value is None for value in given.values()):
        raise BadRequest("agentUid, agentGid, agentUser and agentGroup cannot be empty")
    if not given["agentUser"] or not given["agentGroup"]:
        raise BadRequest("agentUser and agentGroup names cannot be empty")
    return {"agentUid": as_int(given["agentUid"], "agentUid"),
            "agentGid": as_int(given["agentGid"], "agentGid"),
            "agentUser": str(given["agentUser"]), "agentGroup": str(given["agentGroup"])}


async def list_users(backend: Backend, request: web.Request) -> Json:
    users = backend.store.list_users()
    name = (request.query.get("name") or "").lower()
    admin, active = q_bool(request, "admin"), q_bool(request, "active")
    users = [u for u in users
             if (not name or name in u.username.lower() or name in u.display_name.lower())
             and (admin is None or u.admin == admin) and (active is None or u.active == active)]
    return paged(request, "users", users)


async def get_user(backend: Backend, request: web.Request, userId: str) -> Json:
    return {"user": backend.store.get_user(as_int(userId, "userId")).to_dict()}


async def get_user_by_name(backend: Backend, request: web.Request, username: str) -> Json:
    return {"user": backend.store.get_user_by_name(username).to_dict()}


async def post_user(backend: Backend, request: web.Request) -> Json:
    """``POST /api/v1/users`` {user, password, isHashed}: admins only."""
    data = await body_object(request)
    user = data.get("user")
    if not isinstance(user, dict):
        raise BadRequest("must specify user to create")
    if user.get("remote"):
        raise BadRequest("remote users are not supported by the stand-in (no SSO)")
    username = _clean_name(None, user.get("username") or "", 2)
    display_name = _clean_name(None, user.get("displayName") or "", 0)
    group = _agent_user_group(user.get("agentUserGroup"))
    require_admin(request[USER], "only admin privileged users can create users")
    password = data.get("password") or ""
    if not isinstance(password, str):
        raise BadRequest("password must be a string")
    created = backend.store.create_user(
        username=username, display_name=display_name, admin=bool(user.get("admin")),
        active=bool(user.get("active")), agent_user_group=group or None,
        password_hash=password if data.get("isHashed") else client_hash(password))
    return {"user": created.to_dict()}


def _changes(backend: Backend, me: User, target: User, patch: Json) -> Json:
    """The columns a ``v1PatchUser`` sets, each checked as Determined checks it, in its order."""
    changes: Json = {}
    if patch.get("admin") is not None:
        require_admin(me, "only admin privileged users can update users")
        changes["admin"] = int(bool(patch["admin"]))
    if patch.get("remote"):
        require_admin(me, "only admin privileged users can update other users")
        raise BadRequest("remote users are not supported by the stand-in (no SSO)")
    if patch.get("active") is not None:
        require_admin(me, "only admin privileged users can update users")
        changes["active"] = int(bool(patch["active"]))
    if patch.get("username") is not None and patch["username"] != target.username:
        require_admin_or_owner(me, target.id, _OTHERS)
        changes["username"] = _clean_name(target, patch["username"], 2)
    if patch.get("displayName") is not None and patch["displayName"] != target.display_name:
        require_admin_or_owner(me, target.id, "only admin privileged users can set another "
                                              "user's display name")
        display_name = _clean_name(target, patch["displayName"], 0)
        if display_name and backend.store.name_taken(display_name, other_than=target.id):
            raise BadRequest(f"can not change display name to {display_name} found a similar "
                             "username or display name")
        changes["display_name"] = display_name
    if patch.get("password") is not None:
        require_admin_or_owner(me, target.id, _PASSWORDS)
        if not isinstance(patch["password"], str):
            raise BadRequest("password must be a string")
        changes["password_hash"] = (patch["password"] if patch.get("isHashed")
                                    else client_hash(patch["password"]))
    group = _agent_user_group(patch.get("agentUserGroup"))
    if group is not None:
        require_admin(me, "only admin privileged users can update users")
        changes["agent_user_group"] = group or None
    return changes


async def patch_user(backend: Backend, request: web.Request, userId: str) -> Json:
    patch = await body_object(request)
    target = backend.store.get_user(as_int(userId, "userId"))
    changes = _changes(backend, request[USER], target, patch)
    user = backend.store.update_user(target.id, changes) if changes else target
    return {"user": user.to_dict()}


async def patch_users(backend: Backend, request: web.Request) -> Json:
    """``PATCH /api/v1/users`` {userIds, activate}: one result per id, errors per id."""
    data = await body_object(request)
    ids = data.get("userIds") or []
    if not isinstance(ids, list):
        raise BadRequest("userIds must be a list")
    me, results, allowed = request[USER], [], []
    for raw in ids:
        user_id = as_int(raw, "userIds")
        error = "" if me.admin else "only admin privileged users can update users"
        results.append({"error": error, "id": user_id})
        if not error:
            allowed.append(user_id)
    backend.store.set_active(allowed, bool(data.get("activate")))
    return {"results": results}


async def set_password(backend: Backend, request: web.Request, userId: str) -> Json:
    """``POST /users/{id}/password`` with the new password as a JSON string body."""
    password = await body(request, required=False)
    if password is None:  # the SDK sends no body for an empty password
        password = ""
    if not isinstance(password, str):
        raise BadRequest("the body must be the new password as a JSON string")
    target = backend.store.get_user(as_int(userId, "userId"))
    require_admin_or_owner(request[USER], target.id, _PASSWORDS)
    return {"user": backend.store.set_password(target.id, password=password).to_dict()}


async def get_settings(backend: Backend, request: web.Request) -> Json:
    return {"settings": backend.store.get_settings(request[USER].id)}


async def post_settings(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    settings = data.get("settings")
    if not isinstance(settings, list):
        raise BadRequest("settings must be a list")
    backend.store.post_settings(request[USER].id, settings)
    return {}


async def reset_settings(backend: Backend, request: web.Request) -> Json:
    backend.store.reset_settings(request[USER].id)
    return {}


async def post_activity(backend: Backend, request: web.Request) -> Json:
    await body(request)
    return {}
