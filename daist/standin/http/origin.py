"""Who may reach the stand-in through a browser: the ``Host`` and ``Origin`` checks.

A web page on this machine can make the browser send requests to 127.0.0.1; two attacks follow
and both are closed here, before faults, authentication or any handler:

* **DNS rebinding**: a page on ``attacker.example`` whose name is re-pointed to 127.0.0.1
  talks to the stand-in as its own origin. Its requests carry ``Host: attacker.example``, so
  only a ``Host`` that names a loopback host (``localhost``, ``127.0.0.0/8``, ``[::1]``, any
  port: a loopback proxy is legitimate) or, with ``--allow-remote``, a name given with
  ``--allow-host`` is answered.
* **Cross-site requests**: a page posts a form or a ``text/plain`` fetch to the stand-in (the
  body is parsed as JSON whatever its Content-Type, as the master's gateway does, so that alone
  stops nothing). Browsers name the page in ``Origin``; a state-changing request whose
  ``Origin`` is present and is not the stand-in's own (``http://`` + its ``Host``) is refused.
  Clients that are not browsers (the SDK, the CLI, Locust) send no ``Origin`` and see no change.
"""
from __future__ import annotations

from typing import Awaitable, Callable, Collection

from aiohttp import web

from daist.standin.common.errors import Forbidden
from daist.standin.options import is_loopback

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def host_name(host_header: str) -> str:
    """``Host`` without its port, lower case: ``[::1]:8080`` -> ``::1``, ``Localhost`` ->
    ``localhost``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def host_problem(host_header: str | None, allowed: Collection[str]) -> str | None:
    """Why a request with this ``Host`` is not answered (one sentence), or None."""
    if not host_header:
        return "a request must name the stand-in in its Host header"
    name = host_name(host_header)
    if is_loopback(name) or name in allowed:
        return None
    return (f"host {host_header!r} is not served: the stand-in answers loopback names and "
            "those given with --allow-host")


def origin_problem(method: str, origin: str | None, host_header: str) -> str | None:
    """Why a request from this ``Origin`` may not change state (one sentence), or None."""
    if method in SAFE_METHODS or origin is None:
        return None
    if origin.strip().lower().rstrip("/") == f"http://{host_header.strip().lower()}":
        return None
    return f"origin {origin!r} may not change the stand-in's state: cross-site request refused"


def origin_middleware(allowed_hosts: Collection[str]) -> Callable[..., Awaitable[web.StreamResponse]]:
    allowed = frozenset(name.lower() for name in allowed_hosts)

    @web.middleware
    async def check(request: web.Request,
                    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                    ) -> web.StreamResponse:
        host = request.headers.get("Host")
        problem = (host_problem(host, allowed)
                   or origin_problem(request.method, request.headers.get("Origin"), host or ""))
        if problem:
            raise Forbidden(problem)
        return await handler(request)

    return check
