"""Master and workers: the messages daist adds to Locust's, both sides of them, and the local
worker processes.

Protocol (besides Locust's own spawn/stop/quit/stats):
  master -> workers  ``daist_spec``     {kind, ...}: what a kind's worker needs to build its
                                        user class (never a password)
  master -> workers  ``daist_window``   {start, reset, block_s}: start recording (in blocks of
                                        block_s); reset Locust's stats
  master -> workers  ``daist_collect``  {end, stop}: stop recording (and the users), send a
                                        final stats report, then answer ``daist_collected``
                                        {client_id, host, pid, usage}: its own CPU and RSS
                                        over the window (remote workers' too)
  workers -> master  ``daist_hello``    {client_id, host, pid} once its handlers are in place:
                                        names a worker in messages, also one lost later; the
                                        load starts only when every worker said it
Every worker stats report carries ``data["daist"]``, the worker's drained HDR tallies.

A worker that Locust counts as missing (3 s without its heartbeat) or forgot (60 s, or it quit),
that runs fewer users than it was sent, or that does not answer ``daist_collect`` fails the load
with a ``WorkerError`` naming it; the stats record the workers that did report. A caller that
tells a late worker from a lost one (``late_ok``: the metric tests once every trial started)
lets a missing worker come back, as Locust does, and records it; a worker there fails only when
Locust forgets it or, on this machine, its process exits (at once).

Why not Locust's own stop/quit: after ``stop()`` the master forgets its workers until they are
ready again (``stop_timeout`` later), and ``quit()`` waits only 0.5 s for final reports, so the
last seconds of every worker would be lost.
"""
from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
from typing import Any, Callable, Protocol

from daist.engine.monitor import GeneratorMonitor
from daist.framework.errors import ConfigError, DaistError
from daist.framework.log import get_logger
from daist.models import environment
from daist.models.locust import GeneratorUsage
from daist.models.serde import from_data, to_data

log = get_logger("engine")
SPEC, WINDOW, COLLECT, COLLECTED = "daist_spec", "daist_window", "daist_collect", "daist_collected"
HELLO = "daist_hello"
REPORT_KEY = "daist"
KIND_KEY = "kind"
"""Which test kind's user class a ``daist_spec`` asks for (``rest_api`` or ``metrics``)."""
WORKER_LOGS = "locust-worker-*.log"
WORKER_MODULE = "daist.worker"
"""The worker command (``python -m daist.worker``) the master starts for ``[locust] workers``."""


class WorkerError(DaistError):
    """Workers did not connect or did not answer."""


class WindowRecorder(Protocol):
    """What the engine needs of a kind's recorder: a measured window, and exact (HDR) tallies
    that a worker drains into each stats report and the master merges."""

    block_s: float

    def on_request(self, **kwargs: Any) -> None: ...
    def open_window(self, start: float) -> None: ...
    def close_window(self, end: float) -> None: ...
    def drain(self) -> dict[str, Any]: ...
    def merge(self, data: dict[str, Any]) -> None: ...


@dataclasses.dataclass(frozen=True)
class Built:
    """A worker's answer to ``daist_spec``: the user class to run and the recorder its
    requests go to."""

    user_class: type
    recorder: WindowRecorder


def add_report_hooks(env: Any, recorder: WindowRecorder, *, side: str) -> None:
    """Worker: attach the drained tallies to every report. Master: merge them."""
    if side == "worker":
        env.events.report_to_master.add_listener(
            lambda client_id, data: data.__setitem__(REPORT_KEY, recorder.drain()))
    else:
        def merge(client_id: str, data: dict[str, Any]) -> None:
            if REPORT_KEY in data:
                recorder.merge(data[REPORT_KEY])
        env.events.worker_report.add_listener(merge)


def register_worker_handlers(runner: Any, *, build: Callable[[dict[str, Any]], Built | None],
                             monitor: GeneratorMonitor) -> None:
    """The worker's side; ``monitor`` watches this process (its usage goes to the master). The
    recorder comes with the user class (``build``), once ``daist_spec`` says which kind runs."""
    env = runner.environment
    me = {"client_id": runner.client_id, "host": socket.gethostname(), "pid": os.getpid()}
    held: list[WindowRecorder] = []

    def on_spec(environment: Any, msg: Any) -> None:
        built = build(msg.data)
        if built is None:  # refused (the worker is quitting)
            return
        env.user_classes = [built.user_class]
        if not held:
            held.append(built.recorder)
            env.events.request.add_listener(built.recorder.on_request)
            add_report_hooks(env, built.recorder, side="worker")

    def on_window(environment: Any, msg: Any) -> None:
        if msg.data.get("reset"):
            runner.stats.reset_all()
            monitor.start()
        for recorder in held:
            recorder.block_s = float(msg.data.get("block_s") or 0.0)
            recorder.open_window(float(msg.data["start"]))

    def on_collect(environment: Any, msg: Any) -> None:
        for recorder in held:
            recorder.close_window(float(msg.data["end"]))
        if msg.data.get("stop"):
            runner.stop()
        runner._send_stats()  # Locust's own report call: our tallies ride along (add_report_hooks)
        usage = [dataclasses.replace(u, host=me["host"]) for u in monitor.usage()]
        runner.send_message(COLLECTED, {**me, "usage": to_data(usage)})

    runner.register_message(SPEC, on_spec)
    runner.register_message(WINDOW, on_window)
    runner.register_message(COLLECT, on_collect, concurrent=True)
    runner.send_message(HELLO, me)


def log_remote_command(count: int, *, user: str, port: int, target: str) -> None:
    """Tell the operator what to run on each remote machine (the password is theirs to give)."""
    log.info("waiting for %d remote worker(s): on each machine run DET_USER=%s DET_PASSWORD=... "
             "python -m %s --master <this host>:%d --target %s", count, user, WORKER_MODULE, port,
             target)


def master_address(master_bind: str, *, remote_workers: int) -> tuple[str, int]:
    """``[locust] master_bind`` as (host, port) for the master runner, checked for both kinds:
    remote workers must be told a fixed port."""
    host, _, port = master_bind.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"[locust] master_bind: {master_bind!r} is not HOST:PORT")
    if remote_workers and int(port) == 0:
        raise ConfigError("[locust] remote_workers need a fixed port in master_bind "
                          "(e.g. 0.0.0.0:5557): the remote workers must know it")
    return host, int(port)


class WorkerPool:
    """The master's side: start local worker processes, wait for all workers, broadcast, and
    collect final reports."""

    def __init__(self, runner: Any, *, local: int, remote: int, wait_s: float) -> None:
        self.runner = runner
        self.local = local
        self.expected = local + remote
        self.wait_s = wait_s
        self.processes: list[subprocess.Popen] = []
        self.names: dict[str, str] = {}
        """Locust client id -> "host pid" (from ``daist_hello``)."""
        self.pid_of: dict[str, int] = {}
        """Locust client id -> its process id, for workers on this machine (``daist_hello``)."""
        self.known: list[str] = []
        """The client ids connected when the load started."""
        self.collected: dict[str, list[GeneratorUsage]] = {}
        """Client id -> its usage, from the last ``daist_collected``."""
        runner.register_message(COLLECTED, self._on_collected)
        runner.register_message(HELLO, self._on_hello)

    @classmethod
    def open(cls, env: Any, recorder: WindowRecorder, *, bind: tuple[str, int], local: int,
             remote: int, wait_s: float) -> WorkerPool:
        """A Locust master runner on ``bind`` for ``env``, merging the workers' tallies into
        ``recorder``, and its pool (``start`` it next)."""
        runner = env.create_master_runner(*bind)
        add_report_hooks(env, recorder, side="master")
        return cls(runner, local=local, remote=remote, wait_s=wait_s)

    def _on_hello(self, environment: Any, msg: Any) -> None:
        client_id = msg.data.get("client_id") or msg.node_id
        self.names[client_id] = f"{msg.data.get('host', '?')} pid {msg.data.get('pid', '?')}"
        if isinstance(msg.data.get("pid"), int) and msg.data.get("host") == socket.gethostname():
            self.pid_of[client_id] = msg.data["pid"]  # a remote worker's pid may match a local one

    def _on_collected(self, environment: Any, msg: Any) -> None:
        client_id = msg.data.get("client_id") or msg.node_id
        try:
            usage = from_data(list[GeneratorUsage], msg.data.get("usage") or [])
        except ValueError:
            usage = []
        self.collected[client_id] = usage

    def name(self, client_id: str) -> str:
        return f"{self.names.get(client_id, 'unnamed')} ({client_id})"

    def exited(self, client_id: str) -> bool:
        """A local worker whose process has ended (a remote one's end shows as silence)."""
        pid = self.pid_of.get(client_id)
        return any(p.pid == pid and p.poll() is not None for p in self.processes)

    def late(self) -> list[str]:
        """Workers connected at the start that Locust counts as missing (no heartbeat for 3 s)
        although their process, as far as this machine can tell, is alive."""
        clients = self.runner.clients
        return [c for c in self.known if c in clients and clients[c].state == "missing"
                and not self.exited(c)]

    def lost(self, *, late_ok: bool = False) -> list[str]:
        """Workers connected at the start that Locust forgot or counts as missing; with
        ``late_ok``, a missing one only if its process (on this machine) exited."""
        clients = self.runner.clients
        if late_ok:
            return [c for c in self.known if c not in clients or self.exited(c)]
        return [c for c in self.known if c not in clients or clients[c].state == "missing"]

    def freeze_dispatch(self) -> None:
        """Every user has been sent: from here Locust re-dispatches nothing. It would when a
        missing worker comes back or a new one connects, moving users between workers (a user
        stopped on one, another started on the other); Locust drops its dispatcher on stop, and
        this drops it earlier."""
        self.runner._users_dispatcher = None  # noqa: SLF001 (no public switch)

    def check_alive(self, *, late_ok: bool = False) -> None:
        lost = self.lost(late_ok=late_ok)
        if lost:
            raise WorkerError(f"{len(lost)} of {len(self.known)} Locust workers stopped reporting "
                              f"during the load: {', '.join(map(self.name, lost))}")

    def wait_users(self, users: int, *, timeout: float, sleep: Callable[[float], None]) -> None:
        """Locust ends spawning after 1 s of waiting for the workers' counts even when one has
        not started its users; wait for the counts (bounded): a shortfall fails the load,
        naming each worker's count, rather than measuring less load than the results say."""
        deadline = time.monotonic() + timeout
        while self.runner.user_count != users:
            if time.monotonic() > deadline:
                counts = ", ".join(f"{name}: {n}" for name, n in self.user_counts().items())
                raise WorkerError(f"the workers run {self.runner.user_count} of {users} users "
                                  f"{timeout:g} s after spawning ended ({counts})")
            sleep(0.1)

    def user_counts(self) -> dict[str, int]:
        """The users each worker reports running, by worker name."""
        clients = self.runner.clients
        return {self.name(c): clients[c].user_count for c in self.known if c in clients}

    def usage(self) -> list[GeneratorUsage]:
        return [u for client_id in self.known for u in self.collected.get(client_id, [])]

    @property
    def reported(self) -> list[str]:
        """The workers whose final report arrived, as "host pid"."""
        return [self.names.get(c, c) for c in self.known if c in self.collected]

    def launch(self, *, port: int, password: str, target: str, log_dir: str | None = None) -> None:
        env = {**environment.child_environ(), "DET_PASSWORD": password}  # the only secret it needs
        env.pop("LOCUST_SKIP_MONKEY_PATCH", None)  # a worker needs gevent's patching
        for index in range(self.local):
            command = [sys.executable, "-m", WORKER_MODULE, "--master",
                       f"127.0.0.1:{port}", "--target", target, "--parent-pid", str(os.getpid())]
            output = open(os.path.join(log_dir, WORKER_LOGS.replace("*", str(index))), "ab") \
                if log_dir else subprocess.DEVNULL
            self.processes.append(subprocess.Popen(command, env=env, stdout=output,
                                                   stderr=subprocess.STDOUT,
                                                   stdin=subprocess.DEVNULL))
            if log_dir:
                output.close()

    def start(self, *, spec: dict[str, Any], password: str, target: str, user: str,
              log_dir: str | None, sleep: Callable[[float], None]) -> None:
        """Start the local workers, tell the operator how to start the remote ones, wait for
        every hello, then send every worker the spec of its user class."""
        bound = self.runner.server.port
        self.launch(port=bound, password=password, target=target, log_dir=log_dir)
        if self.expected > self.local:
            log_remote_command(self.expected - self.local, user=user, port=bound, target=target)
        self.wait_ready(sleep)
        self.broadcast(SPEC, spec)

    def ready(self) -> list[str]:
        """Workers connected to Locust that have also said hello. A worker says hello once its
        handlers are in place: Locust drops a message that arrives before its handler (it
        connects first), and a worker that missed ``daist_spec`` would run no user at all."""
        return [node.id for node in self.runner.clients.ready if node.id in self.names]

    def wait_ready(self, sleep: Callable[[float], None]) -> None:
        deadline = time.monotonic() + self.wait_s
        while len(self.ready()) < self.expected:
            dead = [p.pid for p in self.processes if p.poll() is not None]
            if dead:
                raise WorkerError(f"local Locust worker process(es) {dead} exited at start; "
                                  f"see locust-worker-*.log in the results directory")
            if time.monotonic() > deadline:
                connected = self.runner.clients.ready
                silent = [node.id for node in connected if node.id not in self.names]
                said = f" ({len(silent)} of them never said hello: not daist workers?)" \
                    if silent else ""
                raise WorkerError(f"only {len(self.ready())} of {self.expected} Locust workers "
                                  f"connected within {self.wait_s:g} s ([locust] worker_wait); "
                                  f"{len(connected)} connected{said}")
            sleep(0.1)
        self.known = self.ready()
        log.info("%d Locust worker(s) connected: %s", len(self.known),
                 ", ".join(map(self.name, self.known)))

    def broadcast(self, msg_type: str, data: dict[str, Any]) -> None:
        self.runner.send_message(msg_type, data)

    def collect(self, *, end: float, stop: bool, timeout: float,
                sleep: Callable[[float], None], late_ok: bool = False) -> None:
        """Ask every worker for its final report of the window and wait for all (bounded): a
        worker lost or silent fails the load, named (a late one is waited for if ``late_ok``)."""
        self.collected.clear()
        self.broadcast(COLLECT, {"end": end, "stop": stop})
        deadline = time.monotonic() + timeout
        while True:  # the reports of every worker still there, then the verdict on the rest
            lost = self.lost(late_ok=late_ok)
            waiting = [c for c in self.known if c not in self.collected and c not in lost]
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise WorkerError(f"{len(waiting)} of {len(self.known)} Locust workers sent no "
                                  f"final report within {timeout:.0f} s: "
                                  f"{', '.join(map(self.name, waiting))}")
            sleep(0.05)
        self.check_alive(late_ok=late_ok)

    def shutdown(self, *, grace_s: float = 5.0) -> None:
        """Local workers exit on the master's quit; any that do not are terminated, then killed."""
        deadline = time.monotonic() + grace_s
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]
