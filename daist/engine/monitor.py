"""The load generator watching itself: CPU (% of one core) and RSS of each generator process
over the measured window. A process at >= 80 % of a core means the figures measure the
generator's limit, not the server's (Locust's own 90 % warning never fires in runs under 20 s:
its first reading comes after 10 s and is a dummy)."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import psutil

from daist.engine.loop_watch import LoopWatch
from daist.models.locust import GeneratorUsage, LocustStatsList


@dataclass
class _Watched:
    role: str
    process: psutil.Process
    start_cpu: float = 0.0
    start_wall: float = 0.0
    last_cpu: float = 0.0
    last_wall: float = 0.0
    peak: float = 0.0
    rss: int = 0
    gone: bool = False


@dataclass
class GeneratorMonitor:
    watched: list[_Watched] = field(default_factory=list)
    loop: LoopWatch | None = None
    """This process's own event loop (``watch_self``): its lag goes with its usage."""

    def watch(self, pid: int, *, role: str) -> None:
        try:
            self.watched.append(_Watched(role=role, process=psutil.Process(pid)))
        except psutil.Error:
            pass

    def watch_self(self, *, role: str) -> None:
        """This process: its CPU and RSS, and its gevent loop's lag (from ``start``)."""
        self.watch(os.getpid(), role=role)
        self.loop = LoopWatch()

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.stop()

    def start(self) -> None:
        """Begin the measured window: CPU and loop lag are counted from here."""
        if self.loop is not None:
            self.loop.start()
        now = time.monotonic()
        for item in self.watched:
            cpu = self._cpu(item)
            item.start_cpu = item.last_cpu = cpu
            item.start_wall = item.last_wall = now
            item.peak = 0.0

    def sample(self) -> None:
        """Call about once a second: tracks the peak interval CPU and RSS."""
        now = time.monotonic()
        for item in self.watched:
            cpu = self._cpu(item)
            if now - item.last_wall >= 0.5:
                item.peak = max(item.peak, 100.0 * (cpu - item.last_cpu) / (now - item.last_wall))
                item.last_cpu, item.last_wall = cpu, now
            try:
                item.rss = max(item.rss, item.process.memory_info().rss)
            except psutil.Error:
                item.gone = True

    def usage(self) -> list[GeneratorUsage]:
        self.sample()
        now = time.monotonic()
        out = []
        for item in self.watched:
            wall = now - item.start_wall
            mean = 100.0 * (item.last_cpu - item.start_cpu) / wall if wall > 0 else 0.0
            usage = GeneratorUsage(role=item.role, pid=item.process.pid,
                                   cpu_percent=round(mean, 1),
                                   cpu_max_percent=round(max(item.peak, mean), 1),
                                   rss_mb=round(item.rss / 2**20, 1))
            if self.loop is not None and item.process.pid == os.getpid():
                lag = self.loop.lag()
                usage.loop_lag_p99_ms, usage.loop_lag_max_ms = lag.p99_ms, lag.max_ms
                usage.full_gc_max_ms = lag.full_gc_max_ms
            out.append(usage)
        return out

    @staticmethod
    def saturated(usage: list[GeneratorUsage]) -> bool:
        return any(u.cpu_percent >= LocustStatsList.SATURATION_PERCENT for u in usage)

    def _cpu(self, item: _Watched) -> float:
        if item.gone:
            return item.last_cpu
        try:
            times = item.process.cpu_times()
        except psutil.Error:
            item.gone = True
            return item.last_cpu
        return times.user + times.system
