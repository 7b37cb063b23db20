"""``LoadPlan``: the load shape and generator layout of one test, from ``[locust]``, with the
checks of key combinations the per-key parsers cannot make (one-line ``ConfigError``s)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daist.framework.errors import ConfigError


@dataclass(frozen=True)
class LoadPlan:
    shape: str = "closed"
    users: int = 10
    spawn_rate: float = 10.0
    run_time: float = 300.0
    warmup: float = 0.0
    stop_timeout: float = 10.0
    request_timeout: float = 60.0
    rate: float = 0.0
    steps: tuple[int, ...] = (1, 2, 4, 8, 16)
    step_time: float = 30.0
    workers: int = 0
    remote_workers: int = 0
    master_bind: str = "127.0.0.1:0"
    worker_wait: float = 60.0
    samples_path: Path | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, locust: Any, **overrides: Any) -> LoadPlan:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {name: getattr(locust, name) for name in names if hasattr(locust, name)}
        values["steps"] = tuple(values.get("steps", ()))
        values.update(overrides)
        plan = cls(**values)
        plan.check(samples=bool(getattr(locust, "samples", False)))
        return plan

    @property
    def distributed(self) -> bool:
        return self.workers + self.remote_workers > 0

    @property
    def processes(self) -> int:
        """Processes that run users (the master runs none)."""
        return max(1, self.workers + self.remote_workers)

    @property
    def bind(self) -> tuple[str, int]:
        host, _, port = self.master_bind.rpartition(":")
        return host, int(port)

    @property
    def expected_s(self) -> float:
        """Rough wall time of the load phase (for progress and sanity checks)."""
        if self.shape == "steps":
            return len(self.steps) * self.step_time
        return self.run_time

    def check(self, *, samples: bool = False) -> None:
        if self.shape == "open" and self.rate <= 0:
            raise ConfigError("[locust] shape = open needs rate > 0 (requests/s)")
        if self.shape != "open" and self.rate > 0:
            raise ConfigError(f"[locust] rate is set but shape = {self.shape}: use shape = open")
        if self.shape == "steps" and not self.steps:
            raise ConfigError("[locust] shape = steps needs a list of steps")
        if self.shape == "steps" and list(self.steps) != sorted(set(self.steps)):
            raise ConfigError("[locust] steps must increase (e.g. 1, 2, 4, 8)")
        if self.shape == "steps" and self.step_time <= self.warmup:
            raise ConfigError("[locust] step_time must be longer than warmup (each step "
                              "measures step_time - warmup seconds)")
        if self.shape != "steps" and self.run_time <= self.warmup:
            raise ConfigError("[locust] run_time must be longer than warmup")
        if samples and self.distributed:
            raise ConfigError("[locust] samples = true works in-process only: set workers = 0 "
                              "and remote_workers = 0")
        if self.users < self.processes:
            raise ConfigError(f"[locust] users ({self.users}) must be at least the number of "
                              f"worker processes ({self.processes})")
        if self.stop_timeout < 0.5 and self.distributed:
            raise ConfigError("[locust] stop_timeout must be at least 0.5 s with workers")
        host, _, port = self.master_bind.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError(f"[locust] master_bind: {self.master_bind!r} is not HOST:PORT")
        if self.remote_workers and int(port) == 0:
            raise ConfigError("[locust] remote_workers need a fixed port in master_bind "
                              "(e.g. 0.0.0.0:5557)")
