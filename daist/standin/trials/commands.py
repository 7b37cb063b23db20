"""``CommandRunner``: launched commands (``det cmd run``) as local processes, as trials are.

A task container runs a command through ``command-entrypoint.sh``, which ends with
``exec /bin/sh -c "$@"`` for one argument and ``exec "$@"`` for several (none: nothing runs
and the container exits 0). Here that is one subprocess in its own process group, in a fresh
directory holding the command's context files, with the cluster's DET_* variables, the
config's (and its pool's) environment variables and the host basics a container image
would set. stdout/stderr become the task's logs. The state goes RUNNING, then TERMINATED
with the master's exit status and its closing log lines (task/allocation.go): "allocation
exited successfully" for a zero exit or a kill, the resources' failure for another code.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daist.standin.launcher import pdeathsig_preexec
from daist.standin.state.cluster_entities import AGENT_ID
from daist.standin.state.expconf import environment_pairs
from daist.standin.trials.processes import LINE_LIMIT, output_lines, signal_group
from daist.standin.trials.trialenv import host_basics, unpack_model

if TYPE_CHECKING:
    from daist.standin.trials.host import TaskHost

TERM_GRACE_S = 3.0
ZERO_EXIT = "resources exited successfully with a zero exit code"
EXITED_OK = "allocation exited successfully"


@dataclass
class _CommandRun:
    command_id: str
    name: str
    process: asyncio.subprocess.Process | None = None
    killed: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def allocation_id(self) -> str:
        return f"{self.command_id}.1"


def shell_argv(entrypoint: Any) -> list[str]:
    """What command-entrypoint.sh execs for a config's ``entrypoint`` (a string or a list)."""
    args = [entrypoint] if isinstance(entrypoint, str) else [str(a) for a in entrypoint or []]
    if len(args) == 1:
        return ["/bin/sh", "-c", args[0]]
    return args


class CommandRunner:
    def __init__(self, backend: "TaskHost") -> None:
        self.backend = backend
        self._runs: dict[str, _CommandRun] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._preexec = pdeathsig_preexec(signal.SIGKILL)

    def launch(self, command_id: str, *, config: dict[str, Any], files: list[dict[str, Any]],
               user_id: int) -> None:
        run = _CommandRun(command_id=command_id, name=str(config.get("description") or ""))
        self._runs[command_id] = run
        task = asyncio.ensure_future(self._run(run, config, files, user_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def is_running(self, command_id: str) -> bool:
        return command_id in self._runs

    async def _run(self, run: _CommandRun, config: dict[str, Any], files: list[dict[str, Any]],
                   user_id: int) -> None:
        store = self.backend.store
        returncode: int | None = None
        try:
            returncode = await self._spawn_and_wait(run, config, files, user_id)
        except Exception as exc:  # a bad context or entrypoint fails the command, not the server
            self._log(run, f"stand-in could not start the command: {exc}", "stderr")
        finally:
            self._runs.pop(run.command_id, None)
            store.drop_task_tokens(run.allocation_id)
            self._finish(run, returncode)
            run.done.set()

    async def _spawn_and_wait(self, run: _CommandRun, config: dict[str, Any],
                              files: list[dict[str, Any]], user_id: int) -> int:
        backend, store = self.backend, self.backend.store
        work = backend.work_dir / "commands" / run.command_id
        shutil.rmtree(work, ignore_errors=True)
        unpack_model(files, work)
        argv = shell_argv(config.get("entrypoint"))
        store.set_command_state(run.command_id, "STATE_RUNNING")
        if not argv:  # ``exec`` with nothing to run: the entrypoint script simply ends
            return 0
        env = self._environment(run, config, user_id)
        run.process = await asyncio.create_subprocess_exec(
            *argv, cwd=str(work), env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True, preexec_fn=self._preexec, limit=LINE_LIMIT)
        if run.killed:
            signal_group(run.process, signal.SIGKILL)
        await asyncio.gather(self._pump(run, run.process.stdout, "stdout"),
                             self._pump(run, run.process.stderr, "stderr"))
        return await run.process.wait()

    def _environment(self, run: _CommandRun, config: dict[str, Any], user_id: int) -> dict[str, str]:
        backend, store = self.backend, self.backend.store
        user = store.get_user(user_id)
        token = store.add_task_token(user_id=user_id, allocation_id=run.allocation_id)
        env = host_basics(os.environ)
        env.update(environment_pairs(config))
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent),
                                       env.get("PATH", "/usr/bin:/bin")])
        env.update({
            "DET_MASTER": backend.url, "DET_MASTER_ADDR": backend.url,
            "DET_CLUSTER_ID": backend.cluster_id, "DET_AGENT_ID": AGENT_ID,
            "DET_TASK_ID": run.command_id, "DET_ALLOCATION_ID": run.allocation_id,
            "DET_CONTAINER_ID": run.allocation_id, "DET_RESOURCES_ID": run.allocation_id,
            "DET_SESSION_TOKEN": token, "DET_USER_TOKEN": token, "DET_USER": user.username,
            "DET_TASK_TYPE": "COMMAND", "DET_SLOT_IDS": "[]", "PYTHONUNBUFFERED": "1",
            "DET_TASK_CONFIG": json.dumps(config),
        })
        return env

    async def _pump(self, run: _CommandRun, stream: Any, kind: str) -> None:
        async for text in output_lines(stream):
            self._log(run, text, kind)

    def _log(self, run: _CommandRun, text: str, kind: str = "stdout") -> None:
        self.backend.store.add_logs(task_id=run.command_id, allocation_id=run.allocation_id,
                                    lines=[(time.time(), kind, text)])

    def _finish(self, run: _CommandRun, returncode: int | None) -> None:
        """The master's closing lines and exit status (allocation.calculateExitStatus)."""
        if self.backend.stopping.is_set():
            return  # the database is closing with the server
        if run.killed:
            self._log(run, f"killed: {ZERO_EXIT if returncode == 0 else 'resources were killed'}")
            reason, status = "allocation killed after all resources exited: resources were killed", EXITED_OK
        elif returncode == 0:
            self._log(run, ZERO_EXIT)
            reason = f"allocation stopped early after all resources exited: {ZERO_EXIT}"
            status = EXITED_OK
        else:
            code = "" if returncode is None else f" (exit code {returncode})"
            failure = (f"resources failed with non-zero exit code: container failed with"
                       f" non-zero exit code{code}")
            self._log(run, f"crashed: {failure}", "stderr")
            reason, status = f"allocation failed: {failure}", failure
        self._log(run, f"{run.name} was terminated: {reason}")
        self.backend.store.set_command_state(run.command_id, "STATE_TERMINATED",
                                             exit_status=status)

    async def kill(self, command_id: str) -> None:
        """SIGTERM to the process group, SIGKILL after a grace period; waits for the end."""
        run = self._runs.get(command_id)
        if run is None:
            return
        run.killed = True
        self.backend.store.set_command_state(command_id, "STATE_TERMINATING")
        signal_group(run.process, signal.SIGTERM)
        for sig in (signal.SIGKILL, None):
            try:
                await asyncio.wait_for(run.done.wait(), TERM_GRACE_S)
                return
            except asyncio.TimeoutError:
                if sig is not None:
                    signal_group(run.process, sig)

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.kill(command_id) for command_id in list(self._runs)))
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=TERM_GRACE_S * 2)
