"""Small builders of model objects for tests (pyperf's create_run pattern)."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from daist.models.base import Artifact
from daist.models.result import Result
from daist.models.timestamp import Timestamp


@dataclass(frozen=True)
class Point:
    x: float = 0.0
    label: str = ""


@dataclass
class Sample(Artifact):
    """A model with every field kind the serializer must handle."""

    name: str = "sample"
    count: int = 3
    ratio: float | None = None
    when: Timestamp = field(default_factory=lambda: Timestamp(1722278982.5))
    points: list[Point] = field(default_factory=lambda: [Point(1.5, "a"), Point(-2.0, "b")])
    by_level: dict[int, float] = field(default_factory=lambda: {1: 0.5, 32: 12.25})
    tags: tuple[str, ...] = ("x", "y")


def make_result(directory: Path | None = None, **fields) -> Result:
    directory = directory or Path(tempfile.mkdtemp(prefix="daist-result-"))
    fields.setdefault("command", "daist.test_target")
    fields.setdefault("start_time", Timestamp(1722278982.0))
    return Result(directory=directory, host_label="localhost", **fields)
