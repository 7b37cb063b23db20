"""``TrialRunner``: runs an experiment's trials as local subprocesses and tracks their fate.

Scheduling: trials start in id order, at most ``searcher.max_concurrent_trials`` per
experiment, each taking ``resources.slots_per_trial`` (at least 1) of the ``--slots``; a
trial that needs more slots than exist stays QUEUED, as on a master without such an agent.
Each run gets a fresh directory with the unpacked model, its own info files and a task token;
``python -m determined.exec.launch`` (what a task container's entrypoint.sh ends with) runs
the config's entrypoint, in its own process group with PR_SET_PDEATHSIG, so no trial survives
the stand-in. stdout/stderr lines are stored as task logs and checked against the config's
``log_policies``.

The experiment's stored state follows the master's: ACTIVE while it runs (reads show it as
QUEUED/STARTING/RUNNING by its trials', see ``exp_entities.displayed_state``; a trial is
STARTING from its launch until its process exists), PAUSED, STOPPING_CANCELED or
STOPPING_KILLED while it stops, then COMPLETED, CANCELED or ERROR. A trial exiting 0 is
COMPLETED; non-zero counts a restart and is requeued while ``restarts <= max_restarts``
(default 5; reads show the count capped at ``max_restarts``, as the master's do)
(unless a ``cancel_retries`` log policy matched; an ``exclude_node`` match leaves no node
here), else ERROR. Kill terminates the process group (SIGTERM, then SIGKILL); cancel and pause
preempt running trials (the Core API's ``should_preempt``) and wait for them to exit. An
experiment ends COMPLETED if any trial completed (or it has none), ERROR if trials errored
and none completed, CANCELED when canceled or killed; then its checkpoint GC starts
(``checkpoint_gc``).
"""
from __future__ import annotations

import asyncio
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from daist.standin.state.expconf import environment_pairs
from daist.standin.launcher import pdeathsig_preexec
from daist.standin.trials.log_policies import LogPolicy, compile_policies, matches
from daist.standin.trials.processes import LINE_LIMIT, output_lines, signal_group
from daist.standin.trials.trialenv import TrialLaunch, trial_environment, unpack_model, write_info

if TYPE_CHECKING:
    from daist.standin.trials.host import TaskHost
    from daist.standin.state.exp_entities import Experiment, Trial

TERM_GRACE_S = 3.0
_UNFINISHED = ("STATE_QUEUED", "STATE_STARTING", "STATE_RUNNING")
_STOPPING = ("STATE_STOPPING_CANCELED", "STATE_STOPPING_KILLED")


def slots_needed(config: dict[str, Any]) -> int:
    return max(int((config.get("resources") or {}).get("slots_per_trial") or 1), 1)


@dataclass
class _Run:
    trial_id: int
    experiment_id: int
    allocation_id: str
    slots: int = 1
    policies: list[LogPolicy] = field(default_factory=list)
    process: asyncio.subprocess.Process | None = None
    killed: bool = False
    dont_retry: bool = False  # a cancel_retries policy matched
    node_excluded: bool = False  # an exclude_node policy matched: no node is left to retry on
    done: asyncio.Event = field(default_factory=asyncio.Event)


class TrialRunner:
    def __init__(self, backend: "TaskHost") -> None:
        self.backend = backend
        self._runs: dict[int, _Run] = {}
        self._active: list[int] = []  # experiments with queued or running trials, by age
        self._tasks: set[asyncio.Task[None]] = set()
        self._preexec = pdeathsig_preexec(signal.SIGKILL)

    # -- experiment level --------------------------------------------------------------------
    def start_experiment(self, experiment_id: int) -> None:
        if experiment_id not in self._active:
            self._active.append(experiment_id)
        self.pump()

    def running_count(self, experiment_id: int | None = None) -> int:
        return sum(1 for r in self._runs.values()
                   if experiment_id is None or r.experiment_id == experiment_id)

    def used_slots(self) -> int:
        return sum(r.slots for r in self._runs.values())

    def pump(self) -> None:
        """Start every queued trial the concurrency limits and free slots allow."""
        store = self.backend.store
        total = self.backend.options.slots
        for exp_id in list(self._active):
            if store.experiment_state(exp_id) != "STATE_ACTIVE":
                continue
            exp = store.get_experiment(exp_id)
            limit = int(exp.config.get("searcher", {}).get("max_concurrent_trials") or 16)
            need = slots_needed(exp.config)
            if need <= total:  # else it waits QUEUED, like work no agent can fit
                for trial in store.list_trials(exp_id, states=["STATE_QUEUED"]):
                    if self.running_count(exp_id) >= limit or self.used_slots() + need > total:
                        break
                    self._launch(exp, trial, need)
            self._maybe_finish(exp_id)

    async def kill_experiment(self, experiment_id: int) -> None:
        """STOPPING_KILLED: the trial processes are terminated at once, then CANCELED."""
        store = self.backend.store
        store.set_experiment_state(experiment_id, "STATE_STOPPING_KILLED")
        self._cancel_idle_trials(experiment_id)
        runs = [r for r in self._runs.values() if r.experiment_id == experiment_id]
        await asyncio.gather(*(self._terminate(r) for r in runs))
        self._maybe_finish(experiment_id)

    def cancel_experiment(self, experiment_id: int) -> None:
        """STOPPING_CANCELED: running trials are preempted and end CANCELED when they exit."""
        self.backend.store.set_experiment_state(experiment_id, "STATE_STOPPING_CANCELED")
        self._cancel_idle_trials(experiment_id)
        self._preempt(experiment_id)
        self._maybe_finish(experiment_id)

    def _cancel_idle_trials(self, experiment_id: int) -> None:
        """Trials without a process of ours (queued, paused, or run elsewhere, e.g. an
        unmanaged trial) end CANCELED at once; ours end when their process exits."""
        store = self.backend.store
        for trial in store.list_trials(experiment_id, states=list(_UNFINISHED) + ["STATE_PAUSED"]):
            if trial.id not in self._runs:
                store.update_trial(trial.id, state="STATE_CANCELED", end_time=store.now())

    def _preempt(self, experiment_id: int) -> None:
        for run in self._runs.values():
            if run.experiment_id == experiment_id:
                self.backend.preemption.preempt(run.allocation_id)

    def pause_experiment(self, experiment_id: int) -> None:
        self.backend.store.set_experiment_state(experiment_id, "STATE_PAUSED")
        self._preempt(experiment_id)

    def activate_experiment(self, experiment_id: int) -> None:
        store = self.backend.store
        for trial in store.list_trials(experiment_id, states=["STATE_PAUSED"]):
            store.update_trial(trial.id, state="STATE_QUEUED", run_id=trial.run_id + 1)
        store.set_experiment_state(experiment_id, "STATE_ACTIVE")
        self.start_experiment(experiment_id)

    def continue_experiment(self, experiment_id: int) -> None:
        """Run a terminal experiment's unfinished trials again (its only trial, if single),
        each as a new task (``<task>-N``): restarts reset, the experiment ACTIVE with its
        progress at 0."""
        store = self.backend.store
        exp = store.get_experiment(experiment_id)
        single = exp.config.get("searcher", {}).get("name", "single") == "single"
        for trial in store.list_trials(experiment_id):
            again = single or trial.state != "STATE_COMPLETED"
            store.update_trial(trial.id, restarts=0, end_time=None, **(
                {"state": "STATE_QUEUED", "run_id": trial.run_id + 1, "log_policy_matched": None}
                if again else {}))
            if again:
                store.continue_as_new_task(trial.id)
        store.reopen_experiment(experiment_id)
        self.start_experiment(experiment_id)

    async def kill_trial(self, trial_id: int) -> None:
        run = self._runs.get(trial_id)
        if run is not None:
            await self._terminate(run)
        else:
            store = self.backend.store
            trial = store.get_trial(trial_id)
            if trial.state in ("STATE_QUEUED", "STATE_PAUSED"):
                store.update_trial(trial_id, state="STATE_CANCELED", end_time=store.now())
            self._maybe_finish(trial.experiment_id)

    async def stop_all(self) -> None:
        """Terminate every trial process (server stop or reset) and wait for them."""
        await asyncio.gather(*(self._terminate(r) for r in list(self._runs.values())))
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=TERM_GRACE_S * 2)
        self._active.clear()

    def _maybe_finish(self, experiment_id: int) -> None:
        store = self.backend.store
        state = store.experiment_state(experiment_id)
        if state == "STATE_PAUSED" or state not in ("STATE_ACTIVE", *_STOPPING):
            return
        states = store.trial_states(experiment_id)
        if any(s in _UNFINISHED for s in states):
            return
        if state in _STOPPING:
            final = "STATE_CANCELED"
        elif "STATE_COMPLETED" in states or not states:
            final = "STATE_COMPLETED"
        elif "STATE_ERROR" in states:
            final = "STATE_ERROR"
        else:
            final = "STATE_CANCELED"
        store.set_experiment_state(experiment_id, final)
        if experiment_id in self._active:
            self._active.remove(experiment_id)
        self.backend.checkpoint_gc.after_experiment(experiment_id)

    # -- trial level -------------------------------------------------------------------------
    def _launch(self, exp: "Experiment", trial: "Trial", slots: int) -> None:
        store = self.backend.store
        run = _Run(trial_id=trial.id, experiment_id=exp.id, allocation_id=trial.allocation_id,
                   slots=slots, policies=compile_policies(exp.config))
        self._runs[trial.id] = run
        store.update_trial(trial.id, state="STATE_STARTING", end_time=None)
        store.add_allocation(allocation_id=run.allocation_id, task_id=trial.task_id,
                             task_type="TASK_TYPE_TRIAL", name=f"Trial {trial.id} (Experiment {exp.id})",
                             resource_pool=exp.resource_pool, slots=slots, experiment_id=exp.id)
        task = asyncio.ensure_future(self._run(exp, trial, run))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, exp: "Experiment", trial: "Trial", run: _Run) -> None:
        store = self.backend.store
        returncode = -1
        try:
            returncode = await self._spawn_and_wait(exp, trial, run)
        except Exception as exc:  # a broken model dir must fail the trial, not the server
            store.add_logs(task_id=trial.task_id, allocation_id=run.allocation_id,
                           lines=[(time.time(), "stderr", f"stand-in could not start trial: {exc}")])
        finally:
            self._finish_run(exp, trial, run, returncode)

    async def _spawn_and_wait(self, exp: "Experiment", trial: "Trial", run: _Run) -> int:
        backend, store = self.backend, self.backend.store
        user = store.get_user(exp.user_id)
        trial_dir = backend.work_dir / "trials" / run.allocation_id
        shutil.rmtree(trial_dir, ignore_errors=True)
        model_dir, info_dir = trial_dir / "model", trial_dir / "info"
        unpack_model(store.model_def_files(exp.id), model_dir)
        config = dict(exp.config)
        launch = TrialLaunch(
            trial_id=trial.id, experiment_id=exp.id, run_id=trial.run_id, task_id=trial.task_id,
            hparams=trial.hparams, config=config, trial_seed=trial.id,
            steps_completed=trial.total_batches, username=user.username,
            session_token=store.add_task_token(user_id=user.id, allocation_id=run.allocation_id),
            user_token=store.add_task_token(user_id=user.id, allocation_id=run.allocation_id),
            master_url=backend.url, cluster_id=backend.cluster_id,
            latest_checkpoint=(trial.warm_start if trial.best_checkpoint is None
                               else trial.best_checkpoint.uuid))
        write_info(launch, info_dir)
        if not config.get("entrypoint"):
            raise ValueError("the experiment config has no entrypoint")
        env = trial_environment(launch, info_dir=info_dir, extra=environment_pairs(config))
        # The launch layer reads the entrypoint from the config, as in a task container.
        run.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "determined.exec.launch", cwd=str(model_dir), env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True, preexec_fn=self._preexec,
            limit=LINE_LIMIT)
        if run.killed:  # killed while we were starting it
            self._signal(run, signal.SIGKILL)
        else:
            store.update_trial(trial.id, state="STATE_RUNNING")
        await asyncio.gather(self._pump_logs(run, trial.task_id, run.process.stdout, "stdout"),
                             self._pump_logs(run, trial.task_id, run.process.stderr, "stderr"))
        return await run.process.wait()

    async def _pump_logs(self, run: _Run, task_id: str, stream: Any, kind: str) -> None:
        store = self.backend.store
        async for text in output_lines(stream):
            store.add_logs(task_id=task_id, allocation_id=run.allocation_id,
                           lines=[(time.time(), kind, text)])
            if run.policies:
                self._match_policies(run, text)

    def _match_policies(self, run: _Run, text: str) -> None:
        for policy in matches(run.policies, text):
            if policy.action == "cancel_retries":
                run.dont_retry = True
            elif policy.action == "exclude_node":
                run.node_excluded = True
            if policy.name is not None:
                self.backend.store.update_trial(run.trial_id, log_policy_matched=policy.name)

    def _finish_run(self, exp: "Experiment", trial: "Trial", run: _Run, returncode: int) -> None:
        backend, store = self.backend, self.backend.store
        self._runs.pop(trial.id, None)
        preempted = backend.preemption.is_preempted(run.allocation_id)
        backend.preemption.forget(run.allocation_id)
        store.end_allocation(run.allocation_id)
        store.drop_task_tokens(run.allocation_id)
        now = store.now()
        current = store.get_trial(trial.id)
        max_restarts = int(exp.config.get("max_restarts") or 0)
        stored_restarts = store.stored_restarts(trial.id)
        exp_state = store.experiment_state(exp.id)
        if run.killed or exp_state in _STOPPING:
            store.update_trial(trial.id, state="STATE_CANCELED", end_time=now)
        elif returncode == 0 and preempted and exp_state == "STATE_PAUSED":
            store.update_trial(trial.id, state="STATE_PAUSED")
        elif returncode == 0:
            store.update_trial(trial.id, state="STATE_COMPLETED", end_time=now, progress=1.0)
        elif run.dont_retry:
            store.update_trial(trial.id, state="STATE_ERROR", end_time=now)
        elif stored_restarts + 1 <= max_restarts and not run.node_excluded:
            # the master counts the restart, then compares
            store.update_trial(trial.id, state="STATE_QUEUED", restarts=stored_restarts + 1,
                               run_id=current.run_id + 1)
        else:
            store.update_trial(trial.id, state="STATE_ERROR", end_time=now,
                               restarts=stored_restarts + 1)
        run.done.set()
        if not backend.stopping.is_set():
            self._maybe_finish(exp.id)
            self.pump()

    def _signal(self, run: _Run, sig: signal.Signals) -> None:
        signal_group(run.process, sig)

    async def _terminate(self, run: _Run) -> None:
        run.killed = True
        self._signal(run, signal.SIGTERM)
        try:
            await asyncio.wait_for(run.done.wait(), TERM_GRACE_S)
        except asyncio.TimeoutError:
            self._signal(run, signal.SIGKILL)
            try:
                await asyncio.wait_for(run.done.wait(), TERM_GRACE_S)
            except asyncio.TimeoutError:
                pass
