"""The SDK side of a metric-latency test: log in, submit an experiment, wait for it with a
deadline, kill it, read its trials, their latency chunks and log tails, log out.

The SDK has no request timeouts, so a master that hangs would hang the run: every call here runs
on a daemon thread and is abandoned after ``call_timeout``. After one abandoned call the master
counts as unresponsive and later calls fail at once, so cleanup never waits twice.
"""
from __future__ import annotations

import contextlib
import io
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from daist.framework.errors import TargetError
from daist.framework.log import get_logger

if TYPE_CHECKING:
    from daist.metrics.model_def import Chunk

T = TypeVar("T")
TERMINAL = frozenset({"COMPLETED", "CANCELED", "ERROR", "DELETED"})
POLL_S = 0.5
log = get_logger("metrics")


class ExperimentTimeout(Exception):
    def __init__(self, experiment_id: int, timeout: float, state: str) -> None:
        super().__init__(f"experiment {experiment_id} did not finish within {timeout:g} s "
                         f"(state {state})")
        self.experiment_id = experiment_id
        self.state = state


@dataclass(frozen=True)
class TrialInfo:
    id: int
    state: str


class Cluster:
    def __init__(self, *, url: str, user: str, password: str, call_timeout: float = 60.0) -> None:
        self.url = url
        self.user = user
        self._password = password
        self.call_timeout = call_timeout
        self.unresponsive: str | None = None
        self._client: Any = None

    # -- bounded calls -----------------------------------------------------------------------
    def call(self, what: str, fn: Callable[[], T], *, timeout: float | None = None,
             quiet: bool = False) -> T:
        """Run ``fn`` on a daemon thread; SDK errors and overlong calls become TargetErrors.
        ``quiet`` sends what the SDK prints (upload progress, password advice) to the debug log."""
        if self.unresponsive:
            raise TargetError(f"cannot {what}: {self.unresponsive}")
        limit = self.call_timeout if timeout is None else max(0.1, timeout)
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["value"] = fn()
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc

        worker = threading.Thread(target=target, name=f"daist-sdk-{what}", daemon=True)
        printed = io.StringIO()
        with contextlib.ExitStack() as stack:
            if quiet:  # swapped here, not in the worker, so an abandoned call cannot keep it
                stack.enter_context(contextlib.redirect_stdout(printed))
                stack.enter_context(contextlib.redirect_stderr(printed))
            worker.start()
            worker.join(limit)
        if printed.getvalue().strip():
            log.debug("the SDK printed while trying to %s: %s", what,
                      " ".join(printed.getvalue().split()))
        if worker.is_alive():
            self.unresponsive = f"the master at {self.url} did not answer within {limit:g} s"
            raise TargetError(f"cannot {what}: {self.unresponsive}")
        if "error" in outcome:
            exc = outcome["error"]
            if isinstance(exc, TargetError):
                raise exc
            text = " ".join(str(exc).split())[:300] or type(exc).__name__
            raise TargetError(f"cannot {what} on {self.url}: {type(exc).__name__}: {text}") from None
        return outcome["value"]

    # -- session ---------------------------------------------------------------------------
    def login(self) -> None:
        from determined.experimental.client import Determined  # the SDK is slow to import

        self._client = self.call("log in", lambda: Determined(master=self.url, user=self.user,
                                                              password=self._password),
                                 quiet=True)

    def logout(self) -> None:
        if self._client is None:
            return
        client, self._client = self._client, None
        try:
            self.call("log out", client.logout, timeout=10)
        except TargetError as exc:
            log.warning("%s", exc)

    @property
    def token(self) -> str:
        """The logged-in session's token (unmanaged mode sends its own requests with it)."""
        return str(self.client._session.token)

    @property
    def client(self) -> Any:
        if self._client is None:
            raise TargetError("the metrics test is not logged in to the master")
        return self._client

    # -- experiments -----------------------------------------------------------------------
    def submit(self, config: dict[str, Any], model_dir: Path) -> int:
        experiment = self.call("create the experiment",
                               lambda: self.client.create_experiment(config=config,
                                                                     model_dir=str(model_dir)),
                               quiet=True)
        return int(experiment.id)

    def state(self, experiment_id: int, *, timeout: float | None = None) -> str:
        experiment = self.call(f"read experiment {experiment_id}",
                               lambda: self.client.get_experiment(experiment_id), timeout=timeout)
        return experiment.state.name

    def wait(self, experiment_id: int, *, timeout: float,
             on_poll: Callable[[str], None] = lambda state: None) -> str:
        """The terminal state, or ``ExperimentTimeout`` once ``timeout`` seconds passed."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            state = self.state(experiment_id, timeout=min(self.call_timeout, max(remaining, 1.0)))
            if state in TERMINAL:
                return state
            if time.monotonic() >= deadline:
                raise ExperimentTimeout(experiment_id, timeout, state)
            on_poll(state)
            time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))

    def kill(self, experiment_id: int, *, settle_s: float = 15.0) -> str:
        """Kill and wait (bounded) until the experiment is terminal; returns its state."""
        experiment = self.call(f"read experiment {experiment_id}",
                               lambda: self.client.get_experiment(experiment_id), timeout=10)
        self.call(f"kill experiment {experiment_id}", experiment.kill, timeout=10)
        deadline = time.monotonic() + settle_s
        state = "unknown"
        while time.monotonic() < deadline:
            state = self.state(experiment_id, timeout=10)
            if state in TERMINAL:
                break
            time.sleep(0.2)
        return state

    def trials(self, experiment_id: int) -> list[TrialInfo]:
        def read() -> list[TrialInfo]:
            experiment = self.client.get_experiment(experiment_id)
            return [TrialInfo(t.id, t.state.name) for t in experiment.list_trials()]
        return sorted(self.call(f"list the trials of experiment {experiment_id}", read),
                      key=lambda t: t.id)

    def reports_done(self, experiment_id: int) -> int:
        """Reports the experiment's trials have sent, by the master's count: each trial's
        ``totalBatchesProcessed`` (the highest ``stepsCompleted`` it reported; report k has
        k steps), summed."""
        from determined.common import api
        from determined.common.api import bindings

        def read() -> int:
            session = self.client._session
            pages = api.read_paginated(lambda offset: bindings.get_GetExperimentTrials(
                session, experimentId=experiment_id, offset=offset))
            return sum(int(t.totalBatchesProcessed) for page in pages for t in page.trials)
        return self.call(f"count the reports of experiment {experiment_id}", read)

    def chunks(self, trial_id: int, *, timeout: float | None = None) -> list[Chunk]:
        """The latency chunks a trial reported (validation metrics), by first index."""
        from daist.metrics.model_def import Chunk  # the trial's own; it imports the slow SDK

        def read() -> list[Chunk]:
            found: dict[int, Chunk] = {}
            for report in self.client.get_trial(trial_id).iter_metrics("validation"):
                chunk = Chunk.from_metrics(report.metrics)
                if chunk is not None:
                    found[chunk.first_index] = chunk  # a re-sent chunk replaces the earlier one
            return [found[k] for k in sorted(found)]
        return self.call(f"read the metrics of trial {trial_id}", read, timeout=timeout)

    def log_tail(self, trial_id: int, *, lines: int = 20) -> list[str]:
        def read() -> list[str]:
            return [str(line).rstrip() for line in self.client.get_trial(trial_id).iter_logs(tail=lines)]
        return self.call(f"read the logs of trial {trial_id}", read, timeout=15)
