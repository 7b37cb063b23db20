"""Handlers: login/logout, users and web settings."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from daist.standin.auth import AUTH_COOKIE, TOKEN, USER
from daist.standin.backend import Backend
from daist.standin.errors import BadRequest
from daist.standin.reqs import as_int, body, body_object, ok, paged

Json = dict[str, Any]


async def login(backend: Backend, request: web.Request) -> web.Response:
    data = await body_object(request)
    username, password = data.get("username"), data.get("password", "")
    if not isinstance(username, str) or not isinstance(password, str):
        raise BadRequest("username and password must be strings")
    token, user = backend.store.login(username=username, password=password,
                                      is_hashed=bool(data.get("isHashed")))
    response = ok({"token": token, "user": user.to_dict()})
    response.set_cookie(AUTH_COOKIE, token, path="/", httponly=True)
    return response


async def logout(backend: Backend, request: web.Request) -> web.Response:
    backend.store.logout(request[TOKEN])
    response = ok({})
    response.del_cookie(AUTH_COOKIE, path="/")
    return response


async def me(backend: Backend, request: web.Request) -> Json:
    return {"user": request[USER].to_dict()}


async def list_users(backend: Backend, request: web.Request) -> Json:
    return paged(request, "users", backend.store.list_users())


async def get_user(backend: Backend, request: web.Request, userId: str) -> Json:
    return {"user": backend.store.get_user(as_int(userId, "userId")).to_dict()}


async def get_user_by_name(backend: Backend, request: web.Request, username: str) -> Json:
    return {"user": backend.store.get_user_by_name(username).to_dict()}


async def patch_user(backend: Backend, request: web.Request, userId: str) -> Json:
    patch = await body_object(request)
    return {"user": backend.store.patch_user(as_int(userId, "userId"), patch).to_dict()}


async def set_password(backend: Backend, request: web.Request, userId: str) -> Json:
    password = await body(request, required=False)
    if password is None:  # the SDK sends no body for an empty password
        password = ""
    if not isinstance(password, str):
        raise BadRequest("the body must be the new password as a JSON string")
    user = backend.store.set_password(as_int(userId, "userId"), password=password)
    return {"user": user.to_dict()}


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
