"""Request parsing and response helpers shared by the handlers.

Query parameters arrive as the SDK sends them: repeated keys for lists, ``true``/``false``
(the load tests also send ``True``), enums by full proto name. Bad values raise
``BadRequest`` so the client gets a 400 with Determined's error JSON.
"""
from __future__ import annotations

import json
from typing import Any, AsyncIterator, Iterable

from aiohttp import web

from daist.standin.common.errors import BadRequest
from daist.standin.common.wire import Page

JSON_TYPE = "application/json"


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def ok(data: Any) -> web.Response:
    return web.Response(text=dumps(data), content_type=JSON_TYPE)


def as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be an integer, not {value!r}") from None


def q_int(request: web.Request, name: str, default: int | None = None) -> int | None:
    value = request.query.get(name)
    return default if value in (None, "") else as_int(value, name)


def q_ints(request: web.Request, name: str) -> list[int]:
    return [as_int(v, name) for v in request.query.getall(name, []) if v != ""]


def q_strs(request: web.Request, name: str) -> list[str]:
    return [v for v in request.query.getall(name, []) if v != ""]


def q_bool(request: web.Request, name: str) -> bool | None:
    value = request.query.get(name)
    if value in (None, ""):
        return None
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0"):
        raise BadRequest(f"{name} must be true or false, not {value!r}")
    return lowered in ("true", "1")


def descending(request: web.Request) -> bool:
    return request.query.get("orderBy") == "ORDER_BY_DESC"


def page_of(request: web.Request, total: int) -> Page:
    return Page.of(total=total, offset=q_int(request, "offset", 0) or 0,
                   limit=q_int(request, "limit", 0) or 0)


def paged(request: web.Request, key: str, items: list[Any]) -> dict[str, Any]:
    """``{key: [to_dict...], pagination}`` for a list the store returned whole."""
    page = page_of(request, len(items))
    return {key: [item.to_dict() for item in page.cut(items)], "pagination": page.to_dict()}


async def body(request: web.Request, *, required: bool = True) -> Any:
    """The JSON body; the SDK sends none for empty bodies, which reads as ``{}``."""
    raw = await request.read()
    if not raw.strip():
        if required:
            return {}
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("request body is not valid JSON") from None


async def body_object(request: web.Request) -> dict[str, Any]:
    data = await body(request)
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    return data


async def stream(request: web.Request, results: Iterable[Any] | AsyncIterator[Any]) -> web.StreamResponse:
    """Newline-delimited ``{"result": ...}`` lines, as grpc-gateway streams them."""
    response = web.StreamResponse(headers={"Content-Type": JSON_TYPE})
    await response.prepare(request)
    if hasattr(results, "__aiter__"):
        async for item in results:  # type: ignore[union-attr]
            await response.write((dumps({"result": item}) + "\n").encode())
    else:
        for item in results:  # type: ignore[union-attr]
            await response.write((dumps({"result": item}) + "\n").encode())
    await response.write_eof()
    return response
