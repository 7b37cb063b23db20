"""Webhook events as the master sends them: payloads, signatures and delivery.

The store decides which webhooks an event triggers and hands ``(url, payload)`` to a
``WebhookShipper``, which only queues it: delivery runs in background tasks on the event loop,
so a slow or dead receiver never delays the request that caused the event. Delivery is
loopback-only (the stand-in never calls out of the machine) and never follows a redirect (a
307 could point anywhere: it is a failed delivery); 5xx and connection errors are retried a
few times with backoff, 3xx and 4xx are final, and every failure is logged, never raised.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import aiohttp

log = logging.getLogger(__name__)

STATE_CHANGE, TASK_LOG = "TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE", "TRIGGER_TYPE_TASK_LOG"
CUSTOM = "TRIGGER_TYPE_CUSTOM"
SLACK = "WEBHOOK_TYPE_SLACK"
ATTEMPTS, BACKOFF_S, TIMEOUT_S, MAX_IN_FLIGHT = 3, 0.25, 5.0, 8
CONFIG_MARK = '"log_policies":'
"""A trial prints its experiment config, patterns included; like the master, neither TASK_LOG
webhooks nor log policies look at a line holding this."""


def _event(event_type: str, condition: dict[str, Any], data: dict[str, Any]) -> bytes:
    """The master's ``EventPayload`` JSON (Go field names, empty fields omitted)."""
    return json.dumps({"event_id": str(uuid.uuid4()), "event_type": event_type,
                       "timestamp": int(time.time()), "condition": condition,
                       "event_data": data}).encode()


def _slack(text: str) -> bytes:
    return json.dumps({"blocks": [{"type": "section",
                                   "text": {"type": "mrkdwn", "text": text}}]}).encode()


_SLACK_STATES = {  # state -> (status line, mark before the name, status field, colour)
    "COMPLETED": ("Your experiment completed successfully \N{PARTY POPPER}", "\N{WHITE HEAVY CHECK MARK} ",
                  "Completed", "#13B670"),
    "ERROR": ("Your experiment has stopped with errors", "\N{CROSS MARK} ", "Errored", "#DD5040"),
}


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _slack_experiment(experiment: dict[str, Any], custom: dict[str, str] | None) -> bytes:
    """The master's Slack message for an experiment event (no web UI base URL set, so no
    links): a status block (with a CUSTOM event's level, title and description) and an
    attachment naming the experiment, its status, duration, workspace, project and trial."""
    state = experiment["state"]
    status, mark, status_field, colour = _SLACK_STATES.get(
        state, (f"The status of your experiment is {state}", "", state, "#009bde"))
    hours, minutes = divmod(int(experiment.get("elapsed", 0)) // 60, 60)
    fields = [_mrkdwn(f"*Status*: {status_field}"), _mrkdwn(f"*Duration*: {hours}h {minutes}min")]
    if experiment.get("workspace"):
        fields.append(_mrkdwn(f"*Workspace*: {experiment['workspace']}"))
    if experiment.get("project"):
        fields.append(_mrkdwn(f"*Project*: {experiment['project']}"))
    if int(experiment.get("trial_id") or 0) > 0:
        fields.append(_mrkdwn(f"*Trial ID*: {experiment['trial_id']}"))
    message: dict[str, Any] = {"type": "section", "text": {"text": status, "type": "plain_text"}}
    if custom is not None:
        message["fields"] = [_mrkdwn(f"*Level*: {custom['level']}"),
                             _mrkdwn(f"*Title*: {custom['title']}"),
                             _mrkdwn(f"*Description*: {custom['description']}")]
    named = {"type": "section", "text": _mrkdwn(f"{mark}{experiment['name']} (#{experiment['id']})"),
             "fields": fields}
    return json.dumps({"blocks": [message],
                       "attachments": [{"color": colour, "blocks": [named]}]},
                      ensure_ascii=False).encode()


def experiment_payload(webhook_type: str, experiment: dict[str, Any], *,
                       custom: dict[str, str] | None = None) -> bytes:
    """An EXPERIMENT_STATE_CHANGE event, or with ``custom`` (title, description, level) a
    CUSTOM one. ``experiment``: id, state (without STATE_), name, duration, resource_pool,
    slots_per_trial, workspace, project and, for CUSTOM, trial_id; Slack messages also read
    ``elapsed`` (seconds from its start to its end, or to now while it runs)."""
    if webhook_type == SLACK:
        return _slack_experiment(experiment, custom)
    data: dict[str, Any] = {"experiment": experiment}
    if custom is not None:
        data["custom_data"] = custom
    return _event("CUSTOM" if custom is not None else "EXPERIMENT_STATE_CHANGE",
                  {"state": experiment["state"]}, data)


def task_log_payload(webhook_type: str, *, task_id: str, node_name: str, regex: str,
                     line: str) -> bytes:
    if webhook_type == SLACK:
        return _slack(f"Task {task_id} on {node_name}: this log matched the regex\n"
                      f"```{regex}```\n```{line}```")
    return _event("TASK_LOG", {"regex": regex},
                  {"task_log": {"task_id": task_id, "node_name": node_name,
                                "triggering_log": line}})


def probe_payload(webhook_type: str) -> bytes:
    """What ``POST /api/v1/webhooks/{id}/test`` sends."""
    if webhook_type == SLACK:
        return json.dumps({"blocks": [{"type": "section",
                                       "text": {"type": "plain_text", "text": "test"}}]}).encode()
    return _event("EXPERIMENT_STATE_CHANGE", {"state": "COMPLETED"}, {"data": "test"})


def signature(key: bytes, timestamp: int, payload: bytes) -> str:
    """``X-Determined-AI-Signature``: hex HMAC-SHA256 of ``"<timestamp>,<payload>"``."""
    return hmac.new(key, str(timestamp).encode() + b"," + payload, hashlib.sha256).hexdigest()


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _failure(status: int) -> str:
    if 300 <= status < 400:
        return f"HTTP {status}: a redirect, which the stand-in never follows"
    return f"HTTP {status}"


class WebhookShipper:
    """Queues events and delivers each in its own task (at most ``MAX_IN_FLIGHT`` at once)."""

    def __init__(self, signing_key: str) -> None:
        self.key = signing_key.encode()
        self.delivered = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None

    def _headers(self, payload: bytes) -> dict[str, str]:
        stamp = int(time.time())
        return {"X-Determined-AI-Signature-Timestamp": str(stamp),
                "X-Determined-AI-Signature": signature(self.key, stamp, payload),
                "Content-Type": "application/json; charset=UTF-8"}

    def enqueue(self, url: str, payload: bytes) -> None:
        """Called from the store inside the event loop; never blocks, never raises."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.warning("webhook to %s dropped: no event loop is running", url)
            return
        task = loop.create_task(self._deliver(url, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, payload: bytes) -> None:
        if not is_loopback_url(url):
            self.failed += 1
            log.warning("webhook to %s not sent: the stand-in delivers to loopback only", url)
            return
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
            self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        assert self._slots is not None
        reason = ""
        async with self._slots:
            for attempt in range(ATTEMPTS):
                try:
                    async with self._session.post(url, data=payload, allow_redirects=False,
                                                  headers=self._headers(payload)) as response:
                        if response.status < 300:
                            self.delivered += 1
                            return
                        reason = _failure(response.status)
                        if response.status < 500:
                            break  # a redirect or a client error is final
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                if attempt + 1 < ATTEMPTS:
                    await asyncio.sleep(BACKOFF_S * 2 ** attempt)
        self.failed += 1
        log.warning("webhook to %s failed: %s", url, reason)

    async def send_now(self, url: str, payload: bytes) -> int:
        """One signed POST awaited by the caller (TestWebhook); the HTTP status."""
        if not is_loopback_url(url):
            raise ValueError("the stand-in delivers webhooks to loopback addresses only")
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as s:
            async with s.post(url, data=payload, allow_redirects=False,
                              headers=self._headers(payload)) as response:
                if 300 <= response.status < 400:
                    raise ValueError(_failure(response.status))
                return response.status

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
