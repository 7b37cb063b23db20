"""The aiohttp application: routes from ``routes.ROUTES``, four layers around every handler.

Outermost first: the master's Prometheus metrics (``observe.prom``, timing all that follows),
error translation (``StandinAPIError`` and router errors become Determined's ``{code, message,
details}`` JSON with the right status; anything unexpected becomes a 500 and is logged), the
``Host`` and ``Origin`` checks (``origin``), fault injection (``faults``), then authentication
(per route)
in the adapter that also turns a handler's dict into a JSON response.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from daist.standin.http.auth import TOKEN, USER, authenticate
from daist.standin.backend import Backend
from daist.standin.common.errors import StandinAPIError
from daist.standin.faults.injector import fault_middleware
from daist.standin.http.origin import origin_middleware
from daist.standin.observe.prom import metrics_middleware
from daist.standin.http.reqs import dumps, ok
from daist.standin.http.routes import ROUTES, Route

BACKEND = web.AppKey("backend", Backend)
MAX_JSON_BODY = 8 * 1024 * 1024
"""Any request body but an upload; larger ones are refused with 413 before they are read."""
UPLOAD_ROUTES = frozenset({("POST", "/api/v1/experiments"), ("PUT", "/api/v1/experiments")})
"""Bodies that carry a model definition: up to ``StandinOptions.max_upload_mb``."""
log = logging.getLogger("daist.standin")

INTERNAL = "internal stand-in error"
"""What an unexpected exception answers (500; the exception is logged)."""
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 413: 8, 415: 3}
_MB = 1024 * 1024


def _error(status: int, message: str, grpc_code: int | None = None) -> web.Response:
    code = grpc_code if grpc_code is not None else _GRPC_CODES.get(status, 13 if status >= 500 else 2)
    return web.Response(status=status, content_type="application/json",
                        text=dumps({"code": code, "message": message, "details": []}))


@web.middleware
async def error_middleware(request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                           ) -> web.StreamResponse:
    try:
        return await handler(request)
    except StandinAPIError as exc:
        return _error(exc.status, exc.message, exc.grpc_code)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, exc.reason or "error")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error(500, INTERNAL)


def _adapt(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    upload = (route.method, route.path) in UPLOAD_ROUTES

    async def handle(request: web.Request) -> web.StreamResponse:
        backend = request.app[BACKEND]
        if upload:  # the app's limit is MAX_JSON_BODY; this route may take more
            request = request.clone(client_max_size=backend.options.max_upload_mb * _MB)
        if not route.public:
            request[USER], request[TOKEN] = authenticate(backend.store, request)
        result: Any = await route.handler(backend, request, **request.match_info)
        if isinstance(result, web.StreamResponse):
            return result
        return ok(result)

    return handle


def build_app(backend: Backend) -> web.Application:
    app = web.Application(middlewares=[metrics_middleware(backend.server_metrics),
                                       error_middleware,
                                       origin_middleware(backend.options.allowed_hosts),
                                       fault_middleware(backend.faults, backend.stopping)],
                          client_max_size=MAX_JSON_BODY)
    app[BACKEND] = backend
    for route in ROUTES:
        app.router.add_route(route.method, route.path, _adapt(route))
    return app
