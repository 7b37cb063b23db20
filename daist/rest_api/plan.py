"""``LoadPlan``: the ``[locust]`` settings of one test (``LocustSettings``: every field and
default is declared there, once), the load shape they make (``load_shape``, a
``daist.models.shape`` object that checks its own keys), where its samples go, and the checks
of the generator's key combinations the per-key parsers cannot make (one-line
``ConfigError``s)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daist.engine.distributed import master_address
from daist.framework.errors import ConfigError
from daist.models.config import LocustSettings
from daist.models.plan_record import PlanRecord
from daist.models.shape import LoadShape, ShapeError, shape_of


@dataclass(frozen=True)
class LoadPlan(LocustSettings):
    samples_path: Path | None = field(default=None, compare=False)
    load_shape: LoadShape = field(init=False, compare=False, repr=False)
    """Made from the settings (again by ``dataclasses.replace``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))  # frozen all the way down
        try:
            object.__setattr__(self, "load_shape", shape_of(self))
        except ShapeError as exc:
            raise ConfigError(str(exc)) from None

    @classmethod
    def from_settings(cls, locust: LocustSettings, **overrides: Any) -> LoadPlan:
        values = {f.name: getattr(locust, f.name) for f in dataclasses.fields(LocustSettings)}
        plan = cls(**{**values, **overrides})
        plan.check()
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
        return master_address(self.master_bind, remote_workers=self.remote_workers)

    @property
    def expected_s(self) -> float:
        """Rough wall time of the load phase (for progress and sanity checks)."""
        return self.load_shape.load_s

    def record(self) -> PlanRecord:
        """What the results keep of this plan."""
        return PlanRecord(shape=self.load_shape, warmup_s=self.warmup, user_class=self.user_class,
                          workers=self.workers + self.remote_workers)

    def check(self) -> None:
        if self.samples and self.distributed:
            raise ConfigError("[locust] samples = true works in-process only: set workers = 0 "
                              "and remote_workers = 0")
        if self.users < self.processes:
            raise ConfigError(f"[locust] users ({self.users}) must be at least the number of "
                              f"worker processes ({self.processes})")
        if self.stop_timeout < 0.5 and self.distributed:
            raise ConfigError("[locust] stop_timeout must be at least 0.5 s with workers")
        master_address(self.master_bind, remote_workers=self.remote_workers)
