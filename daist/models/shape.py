"""The load shape of a load test as an object (as Locust's ``LoadTestShape``): ``ClosedShape``
(N users in a closed loop), ``OpenShape`` (a constant arrival rate) and ``StepsShape`` (a user
sweep). Each knows its users over time (``phases``, ``users_at``), how the summary describes
it, how it is recorded in the results (``to_data``/``from_data``, ``columns``) and how
``compare`` treats it. ``shape_of`` parses ``[locust] shape`` and its settings into one, with
one-line ``ShapeError``s; this is the only module that names a shape.

Recorded as ``{"name": "closed", "users": 10, "spawn_rate": 10.0, "run_time_s": 300.0}``
(open: ``rate`` too; steps: ``steps`` and ``step_time_s`` instead of ``users``/``run_time_s``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, NamedTuple, Protocol


class ShapeSettings(Protocol):
    """The ``[locust]`` keys a shape is made from (``daist.models.config.LocustSettings``
    declares them; it names the shapes from here, so no import back)."""

    shape: str
    users: int
    spawn_rate: float
    run_time: float
    warmup: float
    rate: float
    steps: list
    step_time: float


class ShapeError(ValueError):
    """The ``[locust]`` settings do not make a load shape (one line naming the keys)."""


class Phase(NamedTuple):
    """A stretch of constant users: started at ``spawn_rate`` users/s, then held ``seconds``
    (after spawning completes; ``warmup`` of it is not measured)."""

    users: int
    seconds: float
    spawn_rate: float


@dataclass(frozen=True)
class LoadShape:
    name: ClassVar[str]
    sweep: ClassVar[bool] = False
    """Each phase is a step of a scaling curve, judged whole (no blocks)."""
    endpoint_rps_judged: ClassVar[bool] = False
    """``compare`` judges an endpoint's requests/s (only a fixed arrival rate makes them a
    property of the server)."""

    spawn_rate: float

    # -- users over time ---------------------------------------------------------------------
    def phases(self) -> tuple[Phase, ...]:
        raise NotImplementedError

    def users_at(self, seconds: float) -> int:
        """Users running ``seconds`` after the first phase started (spawning taken as
        instant); 0 after the last phase."""
        start = 0.0
        for phase in self.phases():
            if start <= seconds < start + phase.seconds:
                return phase.users
            start += phase.seconds
        return 0

    @property
    def peak_users(self) -> int:
        return max((phase.users for phase in self.phases()), default=0)

    @property
    def load_s(self) -> float:
        """Seconds of load after spawning, all phases together."""
        return sum(phase.seconds for phase in self.phases())

    def measured_s(self, warmup: float) -> float:
        """Seconds the windows measure, all phases together."""
        return sum(phase.seconds - warmup for phase in self.phases())

    def user_rate(self, processes: int) -> float:
        """Requests/s each of ``processes`` generator processes paces its users to (0: the
        users send as fast as they answer)."""
        return 0.0

    def check(self, warmup: float) -> None:
        """Raise ``ShapeError`` when a phase would measure nothing."""

    # -- the summary and compare -------------------------------------------------------------
    def describe(self) -> str:
        raise NotImplementedError

    def total_rps_judged(self, *, single: bool) -> bool:
        """Does ``compare`` judge the whole test's requests/s (``single``: one run per side)?"""
        return False

    @property
    def compared_users(self) -> int:
        """The users ``compare`` names for the requests/s of a closed loop (0: none)."""
        return 0

    # -- the record ----------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, **{key: list(value) if isinstance(value, tuple) else value
                                      for key, value in asdict(self).items()}}

    @classmethod
    def from_data(cls, data: Any) -> LoadShape:
        from daist.models import serde
        if not isinstance(data, dict) or data.get("name") not in SHAPES:
            raise serde.DataError(f"a load shape names one of {', '.join(SHAPES)}: {data!r}")
        kind = SHAPES[data["name"]]
        return serde.build_dataclass(kind, {k: v for k, v in data.items() if k != "name"},
                                     where=f"{kind.name} shape")

    def columns(self) -> dict[str, Any]:
        """The perf-results database's shape columns of ``daist_loads``."""
        return {"shape": self.name, "users": self.peak_users, "rate": 0.0,
                "spawn_rate": self.spawn_rate, "steps": [], "run_time_s": self.load_s}

    @classmethod
    def of(cls, locust: ShapeSettings) -> LoadShape:
        raise NotImplementedError


@dataclass(frozen=True)
class HeldShape(LoadShape):
    """One phase: ``users`` users held for ``run_time_s``."""

    users: int = 1
    run_time_s: float = 0.0

    def check(self, warmup: float) -> None:
        if self.run_time_s <= warmup:
            raise ShapeError("[locust] run_time must be longer than warmup")


@dataclass(frozen=True)
class ClosedShape(HeldShape):
    """``users`` users, each sending its next request when the last one answered."""

    name: ClassVar[str] = "closed"

    def phases(self) -> tuple[Phase, ...]:
        return (Phase(self.users, self.run_time_s, self.spawn_rate),)

    def describe(self) -> str:
        return f"closed, {self.users} users"

    def total_rps_judged(self, *, single: bool) -> bool:
        return not single  # one run per side cannot tell a slower master from a busier machine

    @property
    def compared_users(self) -> int:
        return self.users

    @classmethod
    def of(cls, locust: ShapeSettings) -> LoadShape:
        _no_rate(locust)
        return cls(spawn_rate=locust.spawn_rate, users=locust.users, run_time_s=locust.run_time)


@dataclass(frozen=True)
class OpenShape(HeldShape):
    """Requests sent at ``rate`` per second by a pool of ``users``, whatever the answers take
    (all users start at once: the pacing, not the spawning, sets the load)."""

    name: ClassVar[str] = "open"
    endpoint_rps_judged: ClassVar[bool] = True
    rate: float = 0.0

    def phases(self) -> tuple[Phase, ...]:
        return (Phase(self.users, self.run_time_s, float(self.users)),)

    def user_rate(self, processes: int) -> float:
        return self.rate / processes

    def describe(self) -> str:
        return f"open, {self.rate:g} requests/s"

    def total_rps_judged(self, *, single: bool) -> bool:
        return True

    def columns(self) -> dict[str, Any]:
        return {**super().columns(), "rate": self.rate}

    @classmethod
    def of(cls, locust: ShapeSettings) -> LoadShape:
        if locust.rate <= 0:
            raise ShapeError("[locust] shape = open needs rate > 0 (requests/s)")
        return cls(spawn_rate=locust.spawn_rate, users=locust.users, run_time_s=locust.run_time,
                   rate=locust.rate)


@dataclass(frozen=True)
class StepsShape(LoadShape):
    """A user sweep: ``step_time_s`` at each user count of ``steps`` in turn."""

    name: ClassVar[str] = "steps"
    sweep: ClassVar[bool] = True
    steps: tuple[int, ...] = ()
    step_time_s: float = 0.0

    def phases(self) -> tuple[Phase, ...]:
        return tuple(Phase(users, self.step_time_s, self.spawn_rate) for users in self.steps)

    def check(self, warmup: float) -> None:
        if self.step_time_s <= warmup:
            raise ShapeError("[locust] step_time must be longer than warmup (each step "
                             "measures step_time - warmup seconds)")

    def describe(self) -> str:
        return f"steps {list(self.steps)} users"

    def columns(self) -> dict[str, Any]:
        return {**super().columns(), "steps": list(self.steps)}

    @classmethod
    def of(cls, locust: ShapeSettings) -> LoadShape:
        _no_rate(locust)
        steps = tuple(locust.steps)
        if not steps:
            raise ShapeError("[locust] shape = steps needs a list of steps")
        if list(steps) != sorted(set(steps)):
            raise ShapeError("[locust] steps must increase (e.g. 1, 2, 4, 8)")
        return cls(spawn_rate=locust.spawn_rate, steps=steps, step_time_s=locust.step_time)


SHAPES: dict[str, type[LoadShape]] = {kind.name: kind
                                      for kind in (ClosedShape, OpenShape, StepsShape)}


def shape_of(locust: ShapeSettings) -> LoadShape:
    """The load shape ``[locust]`` asks for, checked against its warm-up."""
    if locust.shape not in SHAPES:
        raise ShapeError(f"[locust] shape: {locust.shape!r} is none of {', '.join(SHAPES)}")
    shape = SHAPES[locust.shape].of(locust)
    shape.check(locust.warmup)
    return shape


def flat_shape(data: dict[str, Any]) -> LoadShape:
    """The shape of a run recorded before shapes were objects (``RunInfo``'s flat ``shape``,
    ``users``, ``rate``, ``spawn_rate``, ``steps`` and ``run_time_s``; a sweep's step time was
    not recorded: 0)."""
    name = data.get("shape", ClosedShape.name)
    values = {"spawn_rate": data.get("spawn_rate", 0.0), "users": data.get("users", 0),
              "run_time_s": data.get("run_time_s", 0.0), "rate": data.get("rate", 0.0),
              "steps": data.get("steps", []), "step_time_s": 0.0, "name": name}
    kind = SHAPES.get(name)
    if kind is None:
        return LoadShape.from_data(values)  # names the unknown shape
    fields = {f for f in kind.__dataclass_fields__} | {"name"}
    return LoadShape.from_data({k: v for k, v in values.items() if k in fields})


def _no_rate(locust: ShapeSettings) -> None:
    if locust.rate > 0:
        raise ShapeError(f"[locust] rate is set but shape = {locust.shape}: use shape = "
                         f"{OpenShape.name}")
