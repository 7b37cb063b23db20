"""Handlers: login, logout and who the caller is (users themselves: ``handlers_users``)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from daist.standin.http.auth import AUTH_COOKIE, TOKEN, USER
from daist.standin.backend import Backend
from daist.standin.common.errors import BadRequest
from daist.standin.http.reqs import body_object, ok

Json = dict[str, Any]


async def login(backend: Backend, request: web.Request) -> web.Response:
    data = await body_object(request)
    username, password = data.get("username"), data.get("password", "")
    if not isinstance(username, str) or not isinstance(password, str):
        raise BadRequest("username and password must be strings")
    token, user = backend.store.login(username=username, password=password,
                                      is_hashed=bool(data.get("isHashed")))
    response = ok({"token": token, "user": user.to_dict()})
    # Strict: a browser never attaches it to a request another site starts
    response.set_cookie(AUTH_COOKIE, token, path="/", httponly=True, samesite="Strict")
    return response


async def logout(backend: Backend, request: web.Request) -> web.Response:
    backend.store.logout(request[TOKEN])
    response = ok({})
    response.del_cookie(AUTH_COOKIE, path="/")
    return response


async def me(backend: Backend, request: web.Request) -> Json:
    return {"user": request[USER].to_dict()}
