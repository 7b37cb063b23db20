"""``PlanRecord``: the one record of a load test's plan in its results (``LocustStatsList.run
.plan``): its load shape (``daist.models.shape``), the warm-up and the generator layout it ran
with. ``compare`` and the perf-results database read it, and nothing else, for what was run.

Results written before this record (the plan's fields flat in ``RunInfo``: ``shape``,
``users``, ``rate``, ``spawn_rate``, ``steps``, ``warmup_s``, ``run_time_s``, ``user_class``,
``workers``) read into the same record; their flat values are kept in memory (``flat``) so
that they compare and upload exactly as they did."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daist.models.shape import ClosedShape, LoadShape, flat_shape

FLAT_FIELDS = ("shape", "users", "rate", "spawn_rate", "steps", "warmup_s", "run_time_s",
               "user_class", "workers")
"""The plan's fields as ``RunInfo`` held them before ``PlanRecord``."""


@dataclass
class PlanRecord:
    shape: LoadShape = field(default_factory=lambda: ClosedShape(spawn_rate=0.0, users=0))
    warmup_s: float = 0.0
    user_class: str = ""
    workers: int = 0
    """Generator processes asked for, remote ones too."""
    flat: dict[str, Any] | None = field(default=None, compare=False,
                                        metadata={"serialize": False})
    """An old result's flat values (None for a record written as one)."""

    @classmethod
    def of_flat(cls, data: dict[str, Any]) -> PlanRecord:
        """The record of an old ``RunInfo`` (its flat plan fields in ``data``)."""
        return cls(shape=flat_shape(data), warmup_s=data.get("warmup_s", 0.0),
                   user_class=data.get("user_class", ""), workers=data.get("workers", 0),
                   flat={key: data[key] for key in FLAT_FIELDS if key in data})

    def columns(self) -> dict[str, Any]:
        """The plan's columns of ``daist_loads``."""
        columns = {**self.shape.columns(), "warmup_s": self.warmup_s,
                   "user_class": self.user_class, "workers": self.workers}
        return {**columns, **(self.flat or {})}
