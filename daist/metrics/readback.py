"""Read-back timing done by the test itself, per level: the read paths the web UI and the SDK use
to show a trial's metrics, timed from request to the last byte of the answer.

One reader thread per trial (as many readers as trials were reporting), each reading its trial
``repeats`` times over every path, so a level's read load grows with its concurrency.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from daist.framework.master_client import MasterClient
from daist.framework.errors import TargetError


@dataclass(frozen=True)
class ReadPath:
    name: str
    """The operation name in the models (``read_*``)."""
    path: str
    """Path template; ``{trial_id}`` is filled in."""
    params: dict[str, Any] = field(default_factory=dict)
    trial_ids_param: bool = False
    """Whether the trial goes into the ``trialIds`` query parameter."""

    def request(self, trial_id: int) -> tuple[str, dict[str, Any]]:
        params = dict(self.params)
        if self.trial_ids_param:
            params["trialIds"] = trial_id
        return self.path.format(trial_id=trial_id), params


READ_PATHS = (
    # The whole training series: what the SDK's trial.iter_metrics and the UI's metric table read.
    ReadPath("read_training", "/api/v1/trials/metrics/trial_metrics", {"group": "training"},
             trial_ids_param=True),
    ReadPath("read_validation", "/api/v1/trials/metrics/trial_metrics", {"group": "validation"},
             trial_ids_param=True),
    # The UI's metric chart: one metric, downsampled.
    ReadPath("read_time_series", "/api/v1/trials/time-series",
             {"group": "training", "metricNames": "0", "maxDatapoints": 1000},
             trial_ids_param=True),
    # The trial page header (state, summary metrics).
    ReadPath("read_trial", "/api/v1/trials/{trial_id}"),
)
READ_OPERATIONS = tuple(p.name for p in READ_PATHS)


def time_reads(*, url: str, token: str, trial_ids: list[int], repeats: int,
               timeout: float) -> dict[str, list[float]]:
    """Milliseconds per read path. Raises ``TargetError`` naming the first failed read, or when
    the reads take longer than ``timeout`` seconds in total."""
    samples: dict[str, list[float]] = {p.name: [] for p in READ_PATHS}
    errors: list[str] = []
    late: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + timeout

    def reader(trial_id: int) -> None:
        with MasterClient(url, timeout=min(60.0, timeout)) as api:
            api.http.headers["Authorization"] = f"Bearer {token}"  # token stays the caller's
            for _ in range(repeats):
                for read in READ_PATHS:
                    if errors:
                        return
                    if time.monotonic() > deadline:
                        late.append(trial_id)
                        return
                    path, params = read.request(trial_id)
                    try:
                        started = time.perf_counter()
                        api.request("GET", path, params=params).content
                        elapsed_ms = (time.perf_counter() - started) * 1000
                    except TargetError as exc:
                        with lock:
                            errors.append(f"{read.name} of trial {trial_id}: {exc}")
                        return
                    with lock:
                        samples[read.name].append(elapsed_ms)

    threads = [threading.Thread(target=reader, args=(t,), name=f"daist-read-{t}", daemon=True)
               for t in trial_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 1)
    if errors:
        raise TargetError(f"reading metrics back failed: {errors[0]}")
    if late or any(thread.is_alive() for thread in threads):
        raise TargetError(f"reading metrics back took longer than {timeout:g} s")
    return samples
