"""The master's debug endpoints (authenticated, as every non-API echo route of the master):
``/debug/prom/metrics`` (Prometheus text format) and ``/debug/pprof/profile`` (a CPU profile
of the stand-in's process in pprof's format; ``seconds``, default 30 as Go's)."""
from __future__ import annotations

import asyncio
import threading

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.common.errors import BadRequest, Internal
from daist.standin.observe import profiler
from daist.standin.observe.prom import CONTENT_TYPE

_DEFAULT_SECONDS = 30


async def prom_metrics(backend: Backend, request: web.Request) -> web.Response:
    response = web.Response(body=backend.server_metrics.exposition())
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


async def pprof_profile(backend: Backend, request: web.Request) -> web.Response:
    seconds = _seconds(request.query.get("seconds"))
    if backend.profiling:
        raise Internal("Could not enable CPU profiling: cpu profiling already in use")
    backend.profiling = True
    stop = threading.Event()
    try:
        sampling = asyncio.ensure_future(
            asyncio.get_running_loop().run_in_executor(None, lambda: profiler.profile(
                seconds, stop=stop)))
        stopping = asyncio.ensure_future(backend.stopping.wait())
        await asyncio.wait({sampling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stop.set()  # the server is stopping (or sampling is over already)
        stopping.cancel()
        data = await sampling
    finally:
        stop.set()
        backend.profiling = False
    return web.Response(body=data, content_type="application/octet-stream",
                        headers={"Content-Disposition": 'attachment; filename="profile"'})


def _seconds(raw: str | None) -> float:
    if raw is None:
        return _DEFAULT_SECONDS
    try:
        seconds = int(raw)
    except ValueError:
        raise BadRequest(f"seconds must be an integer, not {raw!r}") from None
    if not 0 < seconds <= profiler.MAX_SECONDS:
        raise BadRequest(f"seconds must be 1 to {profiler.MAX_SECONDS}, not {seconds}")
    return seconds
