"""How late a generator process's gevent loop runs its greenlets, and how long its full garbage
collections stop it. Every request a user times waits for the same loop, so its lag is added to
the figures: a better witness of a saturated generator than its CPU (a process at 60 % of a core
can still stall for seconds in bursts), and the reason a worker misses Locust's heartbeat.

A greenlet asks to wake every ``INTERVAL_S`` and records how late it woke (HDR, microseconds);
``gc.callbacks`` time every collection of the oldest generation. A stall of ``STALL_S`` or more
is also logged when it ends, with the collections inside it, to the worker's log.
"""
from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass

from daist.models.locust import HDR_HIGHEST_US, HDR_LOWEST_US, new_histogram

INTERVAL_S = 0.1
STALL_S = 1.0
FULL_GENERATION = 2
log = logging.getLogger("daist.engine.loop")


@dataclass(frozen=True)
class LoopLag:
    """A process's loop over a window: lag p99 and max, the longest full collection (ms)."""

    p99_ms: float = 0.0
    max_ms: float = 0.0
    full_gc_max_ms: float = 0.0


class LoopWatch:
    def __init__(self) -> None:
        self.histogram = new_histogram()
        self.max_s = 0.0
        self.full_gc_max_s = 0.0
        self._gc_started: float | None = None
        self._gc_in_stall_s = 0.0
        self._greenlet = None

    def start(self) -> None:
        """Watch from now (called again: a new window, counted from zero)."""
        import gevent

        self.reset()
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._watch)
            gc.callbacks.append(self._on_gc)

    def reset(self) -> None:
        self.histogram.reset()
        self.max_s = self.full_gc_max_s = 0.0

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None
            gc.callbacks.remove(self._on_gc)

    def lag(self) -> LoopLag:
        count = self.histogram.get_total_count()
        p99 = self.histogram.get_value_at_percentile(99.0) / 1000.0 if count else 0.0
        return LoopLag(p99_ms=round(p99, 1), max_ms=round(self.max_s * 1000.0, 1),
                       full_gc_max_ms=round(self.full_gc_max_s * 1000.0, 1))

    def record(self, late_s: float) -> None:
        """One wake-up ``late_s`` after it was due."""
        late_s = max(0.0, late_s)
        self.max_s = max(self.max_s, late_s)
        self.histogram.record_value(min(max(round(late_s * 1e6), HDR_LOWEST_US), HDR_HIGHEST_US))
        if late_s >= STALL_S:
            log.warning("event loop stalled %.2f s (full garbage collections in it: %.2f s)",
                        late_s, self._gc_in_stall_s)
        self._gc_in_stall_s = 0.0

    def _watch(self) -> None:
        import gevent

        while True:
            due = time.monotonic() + INTERVAL_S
            gevent.sleep(INTERVAL_S)
            self.record(time.monotonic() - due)

    def _on_gc(self, phase: str, info: dict) -> None:
        if info.get("generation") != FULL_GENERATION:
            return
        if phase == "start":
            self._gc_started = time.monotonic()
        elif self._gc_started is not None:
            took = time.monotonic() - self._gc_started
            self._gc_started = None
            self.full_gc_max_s = max(self.full_gc_max_s, took)
            self._gc_in_stall_s += took
