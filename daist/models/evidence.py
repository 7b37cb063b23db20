"""What the target said about itself during a load test's window, as saved artifacts:
``ServerTiming`` (the master's own time per endpoint beside the client's), ``SqlStatements``
(the ``pg_stat_statements`` delta) and ``ProfileTop`` (the top functions of a CPU profile).

``daist.evidence`` fills them; ``report`` shows and compares them without importing it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daist.models.base import Artifact

SERVER_PERCENTILES = ("interpolated linearly inside the histogram bucket that holds the rank, "
                      "as Prometheus' histogram_quantile does; the true value lies anywhere in "
                      "that bucket")


@dataclass
class EndpointTiming:
    """One endpoint of the load test's stats: client figures (exact, from the HDR histogram)
    and the master's (``grpc_server_handling_seconds`` of its gRPC method over the window;
    ``None`` where the master has no series for it)."""

    name: str = ""
    method: str = ""
    grpc_method: str | None = None
    client_requests: int = 0
    client_p50_ms: float = 0.0
    client_p95_ms: float = 0.0
    server_requests: int | None = None
    server_p50_ms: float | None = None
    server_p95_ms: float | None = None
    server_p50_bucket_ms: list[float] | None = None
    """[lower, upper] bound of the bucket that holds the server p50 (upper ``None``: +Inf)."""
    server_p95_bucket_ms: list[float] | None = None

    @property
    def outside_p50_ms(self) -> float | None:
        """Time spent outside the master at the median: client minus server."""
        if self.server_p50_ms is None or not self.client_requests:
            return None
        return self.client_p50_ms - self.server_p50_ms

    @property
    def outside_p50_range_ms(self) -> tuple[float, float | None] | None:
        """The least and most the outside time can be, given the bucket of the server p50
        (``None`` as the upper end when that bucket is open)."""
        if self.server_p50_bucket_ms is None or not self.client_requests:
            return None
        lower, upper = self.server_p50_bucket_ms
        least = self.client_p50_ms - (upper if upper is not None else float("inf"))
        return least, self.client_p50_ms - lower


@dataclass
class ServerTiming(Artifact):
    """``ServerTiming-<tags>.json``: server time beside client time for every endpoint of the
    stats, and where the time outside the master is surely above ``outside_limit_ms``."""

    endpoints: list[EndpointTiming] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    """Where the server figures came from: url, metric, window, how percentiles are made."""
    outside_limit_ms: float = 0.0

    def outside_warnings(self) -> list[str]:
        """Endpoints whose median time outside the master exceeds the limit even when the
        server p50 sits at the top of its bucket: the load generator or the network, not the
        master, is being measured there."""
        out = []
        for entry in self.endpoints:
            bounds = entry.outside_p50_range_ms
            if bounds is None or bounds[0] <= self.outside_limit_ms:
                continue
            out.append(f"{entry.name}: {bounds[0]:.0f} to {bounds[1]:.0f} ms of the median "
                       f"{entry.client_p50_ms:.0f} ms is spent outside the master (limit "
                       f"{self.outside_limit_ms:.0f} ms): the load generator or the network is "
                       f"being measured, not the master")
        return out


@dataclass
class SqlStatement:
    """One normalised statement's change over the window (``pg_stat_statements``)."""

    query: str = ""
    queryid: str = ""
    calls: int = 0
    total_ms: float = 0.0
    mean_ms: float = 0.0
    rows: int = 0


@dataclass
class SqlStatements(Artifact):
    """``SqlStatements-<tags>.json``: the statements the master's database ran in the window,
    by total time, or why there are none (``missing``: the extension is not loaded)."""

    statements: list[SqlStatement] = field(default_factory=list)
    database: str = ""
    """The DSN without its password."""
    missing: str = ""
    """Why no statements could be read (empty when they were)."""
    total_statements: int = 0
    """How many statements changed in the window (``statements`` keeps the top ones)."""


@dataclass
class ProfileFunction:
    name: str = ""
    filename: str = ""
    flat_ms: float = 0.0
    cum_ms: float = 0.0


@dataclass
class ProfileTop(Artifact):
    """``ProfileTop-<tags>.json``: the top functions of the CPU profile saved beside it
    (``pprof`` file, raw bytes) by flat time, or why it could not be parsed."""

    functions: list[ProfileFunction] = field(default_factory=list)
    sample_type: str = ""
    """The value summed, e.g. ``cpu/nanoseconds``."""
    total_ms: float = 0.0
    seconds: int = 0
    profile_file: str = ""
    problem: str = ""
