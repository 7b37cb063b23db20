"""Fault injection: a middleware layer in front of the /api/v1 and /info routes.

Rules (see ``faultspec``) are checked in order; every matching rule counts the match, and
those whose selector picks it (all, for a rule without ``every``/``first``/``sequence``) add
their latency; a picked rule with a ``capacity`` makes the request wait for one of its slots
first and hold it to the end (the latency is then the service time inside the slot); then the
first picked rule that draws a drop closes the connection without a response, a hang never answers (until the client goes away or the server stops; other
requests are unaffected), and an error answers ``status`` with Determined's error JSON.
/standin/* is never faulted.
"""
from __future__ import annotations

import asyncio
import random
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from aiohttp import web

from daist.standin.common.errors import Internal
from daist.standin.common.regex import searches
from daist.standin.faults.spec import normalize_rule, selected

FAULTED_PREFIXES = ("/api/v1", "/info", "/experiments/", "/checkpoints/")
_HANG_POLL_S = 0.25


@dataclass
class _Rule:
    spec: dict[str, Any]
    remaining: int | None
    matched: int = 0
    slots: asyncio.Semaphore | None = None
    """``capacity`` slots; asyncio's semaphore wakes its waiters first come, first served."""

    def matches(self, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.spec["method"] and self.spec["method"] != method:
            return False
        unless = self.spec["unless"]
        return searches(self.spec["path"], path) and not (unless and searches(unless, path))

    def to_dict(self) -> dict[str, Any]:
        return {**self.spec, "count": self.remaining, "matched": self.matched}


class FaultInjector:
    """The live rule set of one server; ``rng`` is seeded so runs are repeatable."""

    def __init__(self, rules: tuple[dict[str, Any], ...] = (), *, seed: int = 0) -> None:
        self._rules: list[_Rule] = []
        self._rng = random.Random(seed)
        self.replace(list(rules))

    def rules(self) -> list[dict[str, Any]]:
        return [rule.to_dict() for rule in self._rules]

    def replace(self, rules: list[Any]) -> None:
        self._rules = [self._compile(r) for r in rules]

    def add(self, rule: Any) -> None:
        self._rules.append(self._compile(rule))

    def clear(self) -> None:
        self._rules = []

    @staticmethod
    def _compile(raw: Any) -> _Rule:
        spec = normalize_rule(raw)
        slots = asyncio.Semaphore(spec["capacity"]) if spec["capacity"] else None
        return _Rule(spec=spec, remaining=spec["count"], slots=slots)

    def plan(self, method: str, path: str) -> tuple[float, str | None, int]:
        """(delay seconds, action None|"drop"|"hang"|"error", status) for one request."""
        plan = self.plan_request(method, path)
        return plan.delay, plan.action, plan.status

    def plan_request(self, method: str, path: str) -> FaultPlan:
        """What the faults do to one request, the capacity slots it must hold included."""
        plan = FaultPlan()
        for rule in self._rules:
            if not rule.matches(method, path):
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
            rule.matched += 1
            spec = rule.spec
            if not selected(spec, rule.matched):
                continue
            plan.delay += (spec["latency_ms"] + self._rng.uniform(0, spec["jitter_ms"])) / 1000.0
            if rule.slots is not None:
                plan.slots.append(rule.slots)
            if plan.action is not None:
                continue
            if spec["drop_rate"] and self._rng.random() < spec["drop_rate"]:
                plan.action = "drop"
            elif spec["hang"]:
                plan.action = "hang"
            elif spec["error_rate"] and self._rng.random() < spec["error_rate"]:
                plan.action, plan.status = "error", spec["status"]
        return plan


@dataclass
class FaultPlan:
    """What the faults do to one request: the slots it waits for (in rule order, so two
    requests never wait for each other's), the delay spent holding them, then the action."""

    delay: float = 0.0
    action: str | None = None
    """None (serve it), "drop", "hang" or "error"."""
    status: int = 500
    slots: list[asyncio.Semaphore] = field(default_factory=list)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def fault_middleware(injector: FaultInjector, stopping: asyncio.Event) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(FAULTED_PREFIXES):
            return await handler(request)
        plan = injector.plan_request(request.method, request.path)
        async with AsyncExitStack() as held:
            for slots in plan.slots:  # released however the request ends
                await held.enter_async_context(slots)
            if plan.delay > 0:
                await asyncio.sleep(plan.delay)
            if plan.action == "drop":
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError()
            if plan.action == "hang":
                await _hang(request, stopping)
                raise asyncio.CancelledError()
            if plan.action == "error":
                raise Internal(f"injected fault on {request.method} {request.path}",
                               status=plan.status)
            return await handler(request)

    return middleware


async def _hang(request: web.Request, stopping: asyncio.Event) -> None:
    """Wait until the client disconnects or the server stops, never answering."""
    while not stopping.is_set():
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        try:
            await asyncio.wait_for(stopping.wait(), _HANG_POLL_S)
        except asyncio.TimeoutError:
            continue
