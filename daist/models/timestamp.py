"""UTC instants and their three spellings: Unix seconds, ISO 8601, and the path-safe stamp used
in directory and file names (``2024-07-29T18-49-42Z``)."""
from __future__ import annotations

import re
import time as _time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
ISO_SECONDS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
PATH_STAMP_FORMAT = "%Y-%m-%dT%H-%M-%SZ"
PATH_STAMP_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z")


@dataclass(frozen=True, order=True)
class Timestamp:
    """An instant, stored as Unix seconds (float, microsecond precision)."""

    unix: float

    def __post_init__(self) -> None:
        if not isinstance(self.unix, (int, float)) or isinstance(self.unix, bool):
            raise TypeError(f"Timestamp.unix must be a number of seconds, not {self.unix!r}")
        object.__setattr__(self, "unix", round(float(self.unix), 6))

    @classmethod
    def now(cls) -> Timestamp:
        return cls(_time.time())

    @property
    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.unix, tz=timezone.utc)

    @property
    def iso(self) -> str:
        """``2024-07-29T18:49:42.123456Z``"""
        return self.datetime.strftime(ISO_FORMAT)

    @property
    def iso_seconds(self) -> str:
        """``2024-07-29T18:49:42Z``"""
        return self.datetime.strftime(ISO_SECONDS_FORMAT)

    @property
    def path_stamp(self) -> str:
        """``2024-07-29T18-49-42Z``: no colons, so it is safe in file names everywhere."""
        return self.datetime.strftime(PATH_STAMP_FORMAT)

    @classmethod
    def parse(cls, value: str) -> Timestamp:
        """Read any of the ISO spellings or a path stamp."""
        for fmt in (ISO_FORMAT, ISO_SECONDS_FORMAT, PATH_STAMP_FORMAT):
            try:
                parsed = datetime.strptime(value, fmt)
            except ValueError:
                continue
            return cls(parsed.replace(tzinfo=timezone.utc).timestamp())
        raise ValueError(f"not a UTC timestamp: {value!r} (expected e.g. 2024-07-29T18:49:42Z)")

    def to_data(self) -> dict[str, Any]:
        return {"unix": self.unix, "iso": self.iso}

    @classmethod
    def from_data(cls, data: Any) -> Timestamp:
        """Accepts ``{"unix": ...}`` (also the integer-seconds manifests of the original daist),
        a bare number, or an ISO string."""
        if isinstance(data, dict):
            if "unix" in data:
                return cls(data["unix"])
            if "iso" in data:
                return cls.parse(data["iso"])
            raise ValueError(f"timestamp object has neither 'unix' nor 'iso': {data!r}")
        if isinstance(data, str):
            return cls.parse(data)
        return cls(data)
