"""Small helpers for Determined's JSON wire format (grpc-gateway, EmitDefaults).

Timestamps are RFC 3339 in UTC with microseconds and a ``Z``; pagination follows the master's
``api.Paginate``: a negative offset counts from the end, ``limit`` 0 means "no limit".
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Sequence

EPOCH_2024 = 1704067200.0  # seed data "happens" after this instant, so it is stable per seed


def iso(ts: float | None) -> str | None:
    """Seconds since the epoch -> RFC 3339 string (None stays None)."""
    if ts is None:
        return None
    moment = _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str | None) -> float | None:
    """RFC 3339 string -> seconds since the epoch (None or '' -> None)."""
    if not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    if "." in value:
        # Python parses at most microseconds; the SDK may send nanoseconds.
        head, _, rest = value.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits):]
        value = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    moment = _dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


@dataclass(frozen=True)
class Page:
    """A slice of a list and the ``v1Pagination`` that describes it."""

    offset: int
    limit: int
    start: int
    end: int
    total: int

    @classmethod
    def of(cls, *, total: int, offset: int = 0, limit: int = 0) -> "Page":
        start = offset if offset >= 0 else max(total + offset, 0)
        start = min(start, total)
        end = total if limit <= 0 else min(start + limit, total)
        return cls(offset=offset, limit=limit, start=start, end=end, total=total)

    def cut(self, items: Sequence[Any]) -> list[Any]:
        return list(items[self.start:self.end])

    def to_dict(self) -> dict[str, int]:
        return {
            "offset": self.offset,
            "limit": self.limit,
            "startIndex": self.start,
            "endIndex": self.end,
            "total": self.total,
        }


def int64(value: int | None) -> str | None:
    """int64 fields travel as JSON strings on the real master (grpc-gateway)."""
    return None if value is None else str(int(value))
