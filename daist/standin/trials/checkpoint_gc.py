"""Checkpoint GC tasks, as the master runs them: Determined's own GC entrypoint in a task.

When an experiment ends, the master picks the checkpoints its ``checkpoint_storage`` policy
(``save_experiment_best``, ``save_trial_best``, ``save_trial_latest``) lets go
(``StandinStore.checkpoints_to_gc``) and, if there are any, starts a task named
``Checkpoint GC (Experiment N)``; ``DELETE /api/v1/checkpoints`` and ``checkpoints/rm`` start
one per experiment of the checkpoints they name. The task runs
``python -m determined.exec.gc_checkpoints`` (what the master's GC container runs) with the
experiment's storage, the uuids and the globs; it deletes the files and reports what is left
through ``PATCH /api/v1/checkpoints`` (nothing left: DELETED). Its output is the task's log; the
task is listed in ``/tasks`` from its start until its process exits, as the master's is.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daist.standin.launcher import pdeathsig_preexec
from daist.standin.state.store_registry import FULL_DELETE_GLOB
from daist.standin.trials.trialenv import task_base_environment

if TYPE_CHECKING:
    from daist.standin.trials.host import TaskHost

TASK_TYPE = "TASK_TYPE_CHECKPOINT_GC"


def task_name(experiment_id: int) -> str:
    return f"Checkpoint GC (Experiment {experiment_id})"


class CheckpointGC:
    def __init__(self, backend: "TaskHost") -> None:
        self.backend = backend
        self._tasks: set[asyncio.Task[Any]] = set()
        self._processes: dict[str, asyncio.subprocess.Process] = {}
        self._preexec = pdeathsig_preexec(signal.SIGKILL)

    def after_experiment(self, experiment_id: int) -> None:
        """The GC the master starts when an experiment ends, if its policy frees any."""
        storage = self._storage(experiment_id)
        uuids = self.backend.store.checkpoints_to_gc(
            experiment_id, experiment_best=int(storage.get("save_experiment_best") or 0),
            trial_best=int(storage.get("save_trial_best") or 0),
            trial_latest=int(storage.get("save_trial_latest") or 0))
        if uuids:
            self.start(experiment_id, uuids, [FULL_DELETE_GLOB])

    def start(self, experiment_id: int, uuids: list[str], globs: list[str], *,
              delete_tensorboards: bool = False) -> "asyncio.Task[int]":
        """Start one GC task; its asyncio task ends with the process's exit code."""
        task_id = f"{experiment_id}.{uuid.uuid4()}"
        allocation_id = f"{task_id}.1"
        exp = self.backend.store.get_experiment(experiment_id)
        self.backend.store.add_allocation(
            allocation_id=allocation_id, task_id=task_id, task_type=TASK_TYPE,
            name=task_name(experiment_id), resource_pool=exp.resource_pool, slots=0)
        task = asyncio.ensure_future(self._run(
            _Job(exp.id, exp.user_id, task_id, allocation_id, uuids, globs, delete_tensorboards)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def delete_experiment(self, experiment_id: int) -> None:
        """The master's experiment delete, once the experiment reads DELETING: a GC task
        removes all its checkpoints and TensorBoard files, then its rows go; if the task
        fails, the experiment is DELETE_FAILED (and can be deleted again)."""
        async def delete() -> None:
            uuids = self.backend.store.checkpoints_to_gc(experiment_id, experiment_best=0,
                                                         trial_best=0, trial_latest=0)
            code = await self.start(experiment_id, uuids, [FULL_DELETE_GLOB],
                                    delete_tensorboards=True)
            if self.backend.stopping.is_set():
                return
            if code == 0:
                self.backend.store.delete_experiment(experiment_id)
            else:
                self.backend.store.set_deletion_state(experiment_id, "STATE_DELETE_FAILED")

        task = asyncio.ensure_future(delete())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop_all(self) -> None:
        for process in list(self._processes.values()):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)

    def _storage(self, experiment_id: int) -> dict[str, Any]:
        config = self.backend.store.get_experiment(experiment_id).config
        storage = config.get("checkpoint_storage")
        return storage if isinstance(storage, dict) else {}

    async def _run(self, job: "_Job") -> int:
        backend, store = self.backend, self.backend.store
        task_dir = backend.work_dir / "gc" / job.allocation_id
        returncode = -1
        try:
            env, args = self._prepare(task_dir, job)
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "determined.exec.gc_checkpoints", *args, cwd=str(task_dir),
                env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True,
                preexec_fn=self._preexec)
            self._processes[job.allocation_id] = process
            assert process.stdout is not None
            async for line in process.stdout:
                store.add_logs(task_id=job.task_id, allocation_id=job.allocation_id, lines=[
                    (time.time(), "stdout", line.decode("utf-8", "replace").rstrip("\r\n"))])
            returncode = await process.wait()
        except Exception as exc:  # a GC that cannot start fails its task, not the server
            store.add_logs(task_id=job.task_id, allocation_id=job.allocation_id, lines=[
                (time.time(), "stderr", f"stand-in could not start checkpoint GC: {exc}")])
        finally:
            self._processes.pop(job.allocation_id, None)
            if not backend.stopping.is_set():
                store.end_allocation(job.allocation_id)
                store.drop_task_tokens(job.allocation_id)
            shutil.rmtree(task_dir, ignore_errors=True)
        return returncode

    def _prepare(self, task_dir: Path, job: "_Job") -> tuple[dict[str, str], list[str]]:
        """The task's files (the master's are under /run/determined), environment and
        arguments (as the master's GC task spec builds them)."""
        backend, store = self.backend, self.backend.store
        experiment_id, user_id, task_id, allocation_id = (
            job.experiment_id, job.user_id, job.task_id, job.allocation_id)
        info_dir = task_dir / "info"
        info_dir.mkdir(parents=True, exist_ok=True)
        token = store.add_task_token(user_id=user_id, allocation_id=allocation_id)
        cluster = {"master_url": backend.url, "cluster_id": backend.cluster_id,
                   "agent_id": "standin-agent", "slot_ids": [], "task_id": task_id,
                   "allocation_id": allocation_id, "session_token": token,
                   "task_type": "CHECKPOINT_GC", "master_cert_name": None,
                   "master_cert_file": None, "latest_checkpoint": None}
        files = {"cluster.json": cluster, "storage_config.json": self._storage(experiment_id),
                 "checkpoints_to_delete.json": job.uuids, "checkpoints_globs.json": job.globs}
        for name, content in files.items():
            target = info_dir / name if name == "cluster.json" else task_dir / name
            target.write_text(json.dumps(content))
        env = task_base_environment(info_dir)
        env.update({
            "DET_MASTER": backend.url, "DET_CLUSTER_ID": backend.cluster_id,
            "DET_AGENT_ID": "standin-agent", "DET_SLOT_IDS": "[]", "DET_TASK_ID": task_id,
            "DET_ALLOCATION_ID": allocation_id, "DET_SESSION_TOKEN": token,
            "DET_TASK_TYPE": "CHECKPOINT_GC",
            "DET_USER": store.get_user(user_id).username,
        })
        args = ["--experiment-id", str(experiment_id),
                "--storage-config", str(task_dir / "storage_config.json")]
        if job.uuids:
            args += ["--delete", str(task_dir / "checkpoints_to_delete.json"),
                     "--globs", str(task_dir / "checkpoints_globs.json")]
        if job.delete_tensorboards:
            args.append("--delete-tensorboards")
        return env, args


@dataclass(frozen=True)
class _Job:
    experiment_id: int
    user_id: int
    task_id: str
    allocation_id: str
    uuids: list[str]
    globs: list[str]
    delete_tensorboards: bool
