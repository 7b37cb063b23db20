"""The target's own evidence in a run's reports: server time beside client time per endpoint
(with the time outside the master and its warning), the top SQL statements, the top profile
functions. Text rows for the summary; the same rows feed the HTML page."""
from __future__ import annotations

from dataclasses import dataclass

from daist.models.evidence import EndpointTiming, ProfileTop, ServerTiming, SqlStatements
from daist.report import fmt
from daist.report.loader import RunData
SHOWN = 8


@dataclass(frozen=True)
class TimingRow:
    endpoint: str
    client_p50: str
    server_p50: str
    outside_p50: str
    client_p95: str
    server_p95: str
    server_requests: str


def _bucket(bounds: list[float] | None) -> str:
    if bounds is None:
        return ""
    lower, upper = bounds
    return f" ({lower:g}-{upper:g})" if upper is not None else f" ({lower:g}-inf)"


def _outside(entry: EndpointTiming) -> str:
    bounds = entry.outside_p50_range_ms
    if bounds is None:
        return "-"
    least, most = bounds
    least_text = fmt.ms(least) if least != float("-inf") else "?"
    return f"{least_text} to {fmt.ms(most)}"


def timing_rows(timing: ServerTiming) -> list[TimingRow]:
    """Endpoints with a server series first, slowest client p50 first."""
    ranked = sorted(timing.endpoints, key=lambda e: (e.server_p50_ms is None, -e.client_p50_ms,
                                                     e.name))
    return [TimingRow(endpoint=f"{e.method} {e.name}", client_p50=fmt.ms(e.client_p50_ms),
                      server_p50=fmt.ms(e.server_p50_ms) + _bucket(e.server_p50_bucket_ms),
                      outside_p50=_outside(e), client_p95=fmt.ms(e.client_p95_ms),
                      server_p95=fmt.ms(e.server_p95_ms) + _bucket(e.server_p95_bucket_ms),
                      server_requests=fmt.count(e.server_requests)
                      if e.server_requests is not None else "-")
            for e in ranked]


def evidence_lines(run: RunData, key: str, *, limit: int | None = SHOWN) -> list[str]:
    """The summary's lines for one load test (none when it captured no evidence)."""
    lines: list[str] = []
    timing = run.artifact_of(ServerTiming, key)
    if timing is not None:
        for warning in timing.outside_warnings():
            lines.append(f"  WARNING: {warning}")
        rows = timing_rows(timing)
        shown = rows if limit is None else rows[:limit]
        lines.append(f"  Server time (the master's own, {timing.source.get('metric', '?')}; "
                     f"server percentiles interpolated in their bucket, shown in brackets):")
        table = [["endpoint", "client p50", "server p50 ms", "outside p50 ms", "client p95",
                  "server p95 ms", "server requests"]]
        table += [[fmt.shorten(r.endpoint, 40), r.client_p50, r.server_p50, r.outside_p50,
                   r.client_p95, r.server_p95, r.server_requests] for r in shown]
        lines += fmt.columns(table, right={1, 2, 3, 4, 5, 6}, indent="    ")
    statements = run.artifact_of(SqlStatements, key)
    if statements is not None:
        lines += sql_lines(statements, limit=limit)
    profile = run.artifact_of(ProfileTop, key)
    if profile is not None:
        lines += profile_lines(profile, limit=limit)
    return lines


def _table(title: str, header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    return [title, *fmt.columns([header, *rows], right=right, indent="    ")]


def sql_lines(statements: SqlStatements, *, limit: int | None = SHOWN) -> list[str]:
    if statements.missing:
        return [f"  SQL statements: none read: {statements.missing}"]
    rows = [[fmt.ms(s.total_ms), fmt.count(s.calls), fmt.ms(s.mean_ms), fmt.count(s.rows),
             fmt.shorten(" ".join(s.query.split()), 60)] for s in statements.statements[:limit]]
    return _table(f"  SQL statements by total time ({statements.total_statements} ran in the "
                  f"window; pg_stat_statements of {statements.database}):",
                  ["total ms", "calls", "mean ms", "rows", "statement"], rows, {0, 1, 2, 3})


def profile_lines(profile: ProfileTop, *, limit: int | None = SHOWN) -> list[str]:
    if profile.problem:
        return [f"  CPU profile: {profile.problem}"]
    rows = [[fmt.ms(f.flat_ms), fmt.ms(f.cum_ms), fmt.shorten(f.name, 70)]
            for f in profile.functions[:limit]]
    return _table(f"  CPU profile ({profile.seconds} s mid-window, {profile.profile_file}; "
                  f"{profile.sample_type}, {fmt.ms(profile.total_ms)} ms in all), top by flat "
                  f"time:", ["flat ms", "cum ms", "function"], rows, {0, 1})
