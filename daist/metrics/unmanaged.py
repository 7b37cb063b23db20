"""Unmanaged mode of the metric-latency test: one unmanaged (detached-mode) experiment per level,
whose trials are simulated by Locust users (``trial_user``, driven by ``trials_run`` on the
engine's runners) with no slot on the cluster. This module makes the level's experiment and
gives every trial a generator left RUNNING (a lost worker, an interrupt) its final state.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import yaml

from daist.framework.errors import DaistError
from daist.metrics.expconf import Level

JSON_HEADERS = {"Content-Type": "application/json"}
SETUP_CALL_S = 60.0
CLEANUP_CONCURRENCY = 32  # trials ended at once after a level
CLEANUP_CALL_S = 10.0


class SetupError(DaistError):
    """A level's experiment could not be made (names the call that failed)."""


def experiment_config_text(level: Level, *, name: str) -> str:
    """What ``core_v2`` sends for a detached experiment, with our name and searcher metric."""
    return yaml.safe_dump({"name": name, "description": level.describe(),
                           "searcher": {"name": "single", "metric": "visible_median_ms"},
                           "labels": ["daist", "metric-latency"]})


# -- HTTP helpers ------------------------------------------------------------------------------
async def _call(http: Any, method: str, url: str, what: str, body: Any = None,
                params: Any = None) -> Any:
    data = None if body is None else json.dumps(body)
    async with http.request(method, url, data=data, params=params, headers=JSON_HEADERS) as answer:
        text = await answer.text()
        if answer.status >= 300:
            raise SetupError(f"{what}: HTTP {answer.status}: {' '.join(text.split())[:300]}")
        return json.loads(text) if text else {}


def _session(token: str, connections: int, *, call_s: float | None = None) -> Any:
    import aiohttp

    return aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {token}"},
        connector=aiohttp.TCPConnector(limit=max(1, connections)),
        timeout=aiohttp.ClientTimeout(total=call_s))


# -- a level's experiment, and its end ---------------------------------------------------------
async def _create(url: str, token: str, level: Level, name: str) -> int:
    from determined.common.api import bindings

    async with _session(token, 1, call_s=SETUP_CALL_S) as http:
        request = bindings.v1CreateExperimentRequest(
            config=experiment_config_text(level, name=name), unmanaged=True)
        made = await _call(http, "POST", f"{url}/api/v1/experiments", "create the experiment",
                           request.to_json(True))
    return int(made["experiment"]["id"])


def create_experiment(url: str, token: str, level: Level, *, name: str) -> int:
    """A new unmanaged experiment for ``level`` (its trials are made by the users)."""
    return asyncio.run(_create(url, token, level, name))


async def _end(url: str, token: str, trial_ids: list[int], state: str) -> list[str]:
    from determined.common.api import bindings

    errors: list[str] = []
    async with _session(token, CLEANUP_CONCURRENCY, call_s=CLEANUP_CALL_S) as http:
        gate = asyncio.Semaphore(CLEANUP_CONCURRENCY)

        async def end(trial_id: int) -> None:
            async with gate:
                try:
                    current = await _call(http, "GET", f"{url}/api/v1/trials/{trial_id}",
                                          f"read trial {trial_id}")
                    if current["trial"]["state"] != "STATE_RUNNING":
                        return
                    body = bindings.v1PatchTrialRequest(trialId=trial_id,
                                                        state=bindings.trialv1State(state))
                    await _call(http, "PATCH", f"{url}/api/v1/trials/{trial_id}",
                                f"end trial {trial_id}", body.to_json(True))
                except Exception as exc:  # cleanup: report, never raise
                    errors.append(str(exc))
        await asyncio.gather(*(end(t) for t in trial_ids))
    return errors


def end_running_trials(url: str, token: str, trial_ids: list[int], *,
                       state: str = "STATE_ERROR") -> list[str]:
    """Give every trial still RUNNING (a generator that died or was stopped) a final state."""
    return asyncio.run(_end(url, token, trial_ids, state))
