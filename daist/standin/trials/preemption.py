"""Preemption signals: long-polls held on asyncio events, one per allocation.

``GET .../signals/preemption?timeout_seconds=N`` waits here without a thread; it returns True
as soon as the allocation is preempted, False at the timeout or when the server stops.
"""
from __future__ import annotations

import asyncio

MAX_WAIT_S = 60.0


class PreemptionHub:
    def __init__(self, stopping: asyncio.Event) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._stopping = stopping

    def _event(self, allocation_id: str) -> asyncio.Event:
        return self._events.setdefault(allocation_id, asyncio.Event())

    def is_preempted(self, allocation_id: str) -> bool:
        event = self._events.get(allocation_id)
        return event is not None and event.is_set()

    def preempt(self, allocation_id: str) -> None:
        self._event(allocation_id).set()

    def forget(self, allocation_id: str) -> None:
        """Drop an ended allocation's event; its pollers see preemption (the task is gone)."""
        event = self._events.pop(allocation_id, None)
        if event is not None:
            event.set()

    async def wait(self, allocation_id: str, timeout: float) -> bool:
        event = self._event(allocation_id)
        if event.is_set() or timeout <= 0:
            return event.is_set()
        stop = asyncio.ensure_future(self._stopping.wait())
        fire = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({stop, fire}, timeout=min(timeout, MAX_WAIT_S),
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            fire.cancel()
        return event.is_set()
