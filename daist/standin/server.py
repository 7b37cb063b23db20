"""Serving the app: ``Serving`` (one server inside an event loop), ``StandinMaster`` (moto's
ThreadedMotoServer pattern: a background thread with its own loop) and ``serve`` (the CLI's
foreground loop with signal handling and the parent watch)."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import threading
from typing import Any, Callable

from aiohttp import web

from daist.standin.http.app import build_app
from daist.standin.backend import Backend
from daist.standin.options import REMOTE_WARNING, StandinOptions, bind_problem, is_loopback

log = logging.getLogger("daist.standin")
SHUTDOWN_TIMEOUT_S = 2.0
PARENT_POLL_S = 0.5
EMPTY_SHOWN = 8
"""Accounts with an empty password named at start; the rest are counted."""


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


class Serving:
    """One started server; ``start`` and ``stop`` run inside its event loop."""

    def __init__(self, options: StandinOptions) -> None:
        self.options = options
        self.backend: Backend | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        problem = bind_problem(self.options)
        if problem:
            raise ValueError(problem)
        if not is_loopback(self.options.host):
            log.warning(REMOTE_WARNING.format(host=self.options.host or "0.0.0.0",
                                              allowed=", ".join(self.options.allowed_hosts)
                                              or "none given"))
        self.backend = Backend.create(self.options)
        sock = _bind(self.options.host, self.options.port)
        self.backend.url = _url(self.options.host, sock.getsockname()[1])
        self._runner = web.AppRunner(build_app(self.backend), handle_signals=False,
                                     access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await self._runner.setup()
        await web.SockSite(self._runner, sock, backlog=1024).start()
        return self.backend.url

    async def stop(self) -> None:
        """Trials terminated, long-polls released, connections closed, database closed."""
        if self.backend is not None:
            self.backend.stopping.set()
            await self.backend.stop_tasks()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.backend is not None:
            await self.backend.close()
            self.backend = None


class StandinMaster:
    """A stand-in master serving from a background thread of this process.

    ``StandinMaster(port=0, scale=20).start()`` returns once it serves; ``url`` is then set.
    ``stop()`` shuts it down and joins the thread. Instances share nothing.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.options = StandinOptions(host=host, port=port, **options)
        self._serving = Serving(self.options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.url: str = ""

    @property
    def backend(self) -> Backend:
        assert self._serving.backend is not None, "StandinMaster is not running"
        return self._serving.backend

    def start(self, timeout: float = 60.0) -> str:
        if self._thread is not None:
            raise RuntimeError("StandinMaster is already started")
        self._thread = threading.Thread(target=self._run, name="standin-master", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("StandinMaster did not start in time")
        if self._error is not None:
            raise RuntimeError(f"StandinMaster failed to start: {self._error}") from self._error
        return self.url

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self.url = loop.run_until_complete(self._serving.start())
        except BaseException as exc:  # report to the starting thread, then end this one
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._serving.stop())
            _cancel_leftovers(loop)
            loop.close()

    def call(self, func: Callable[[Backend], Any]) -> Any:
        """Run ``func(backend)`` on the server's loop (for tests that poke the state)."""
        assert self._loop is not None
        async def run() -> Any:
            return func(self.backend)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await what is still pending (a handler still reading a refused upload),
    so closing the loop destroys no running task."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


async def _watch_parent(pid: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if not _alive(pid):
            log.warning("parent process %d is gone; stopping", pid)
            stop.set()
            return
        await asyncio.sleep(PARENT_POLL_S)


def _write_ready(path: str, url: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump({"url": url, "pid": os.getpid()}, f)
    os.replace(tmp, path)


async def serve(options: StandinOptions, *, announce: Callable[[str], None] = print) -> None:
    """Serve until SIGINT/SIGTERM (or the watched parent dies), then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before announcing, so no signal is missed
        loop.add_signal_handler(sig, stop.set)
    serving = Serving(options)
    url = await serving.start()
    assert serving.backend is not None
    log.info("seeded scale %d in %.2fs", options.scale, serving.backend.seed_seconds)
    announce(f"daist.standin serving at {url}")
    empty = serving.backend.store.empty_password_users()
    if empty:
        shown = ", ".join(empty[:EMPTY_SHOWN]) + (f" and {len(empty) - EMPTY_SHOWN} more"
                                                  if len(empty) > EMPTY_SHOWN else "")
        accounts = "1 account has" if len(empty) == 1 else f"{len(empty)} accounts have"
        announce(f"daist.standin: {accounts} an empty password (anyone who reaches {url} "
                 f"can log in; --password sets them): {shown}")
    if options.ready_file:
        _write_ready(options.ready_file, url)
    watcher = None
    if options.exit_with_parent:
        watcher = asyncio.ensure_future(_watch_parent(options.exit_with_parent, stop))
    try:
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        await serving.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


__all__ = ["Serving", "StandinMaster", "StandinOptions", "serve"]
