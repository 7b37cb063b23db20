"""Where a regression's time went: for each regressed endpoint of a comparison, whether the
change is inside the master (its own time, ``ServerTiming``, moved by about as much) or
outside it (the client's time moved, the master's did not), and, where both sides saved them,
the SQL statements and profile functions whose time grew most.

Server percentiles come from histogram buckets: the verdict uses their interpolated values,
and says when the buckets alone would allow the other answer."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from daist.models.evidence import EndpointTiming, ProfileTop, ServerTiming, SqlStatements
from daist.report import fmt
from daist.report.compare import RowComparison, RunComparison
from daist.report.loader import RunData

INSIDE, OUTSIDE, UNKNOWN = "inside the master", "outside the master", "not attributable"
SHARE = 0.5
"""The master's own time must have moved by at least this share of the client's change for
the change to count as inside it."""
GROWN = 3
SERVER_FIGURE = {"p50": "p50", "p95": "p95", "p99": "p95"}
"""The server percentile read for a regressed client figure (the master's histogram gives no
p99 worth reading: its top buckets are seconds wide)."""


@dataclass
class Attribution:
    label: str
    verdict: str
    reason: str
    statements: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"  {self.label}: {self.verdict.upper()}: {self.reason}"]
        out += [f"    SQL grown: {text}" for text in self.statements]
        out += [f"    CPU grown: {text}" for text in self.functions]
        return out


def _timing(run: RunData, key: str, name: str) -> EndpointTiming | None:
    timing = run.artifact_of(ServerTiming, key)
    if timing is None:
        return None
    return next((e for e in timing.endpoints if f"{e.method} {e.name}".strip() == name), None)


def _side(runs: list[RunData], key: str, name: str,
          figure: str) -> tuple[float, float, float, float] | str:
    """(client, server, server bucket low, server bucket high) medians over the runs, or why
    there are none."""
    found = [_timing(run, key, name) for run in runs]
    if any(t is None for t in found):
        return "a run saved no server timing for it"
    values = []
    for entry in found:
        server = getattr(entry, f"server_{figure}_ms")
        bucket = getattr(entry, f"server_{figure}_bucket_ms")
        if server is None or bucket is None:
            return "the master has no series for it"
        upper = bucket[1] if bucket[1] is not None else float("inf")
        values.append((getattr(entry, f"client_{figure}_ms"), server, bucket[0], upper))
    return tuple(statistics.median(v[i] for v in values) for i in range(4))  # type: ignore


def attribute_row(comparison: RunComparison, row: RowComparison) -> Attribution:
    regressed = next(r for r in row.results if r.regression)
    figure = SERVER_FIGURE.get(regressed.metric, "p50")
    base = _side(comparison.baseline, row.test, row.name, figure)
    cand = _side(comparison.candidate, row.test, row.name, figure)
    if isinstance(base, str) or isinstance(cand, str):
        why = base if isinstance(base, str) else cand
        return Attribution(row.label, UNKNOWN, f"{why} (evidence: [evidence] metrics)")
    client = cand[0] - base[0]
    server = cand[1] - base[1]
    least, most = cand[2] - base[3], cand[3] - base[2]
    inside = server >= SHARE * client
    verdict = INSIDE if inside else OUTSIDE
    reason = (f"client {figure} {fmt.ms(base[0])} -> {fmt.ms(cand[0])} ms ({client:+.1f}), the "
              f"master's own {figure} {fmt.ms(base[1])} -> {fmt.ms(cand[1])} ms ({server:+.1f}, "
              f"interpolated in its buckets)")
    if inside and least < SHARE * client or not inside and most >= SHARE * client:
        reason += (f"; uncertain: its buckets allow a change of {least:+.0f} to "
                   f"{most:+.0f} ms" if most != float("inf") else "; uncertain: open bucket")
    attribution = Attribution(row.label, verdict, reason)
    if inside:
        attribution.statements = grown_statements(comparison, row.test)
        attribution.functions = grown_functions(comparison, row.test)
    return attribution


def _mean_by(runs: list[RunData], key: str, cls: type, pick) -> dict[str, float] | None:
    """name -> mean value over the runs (0 where a run lacks it), None when a run has none."""
    found = [run.artifact_of(cls, key) for run in runs]
    if any(a is None for a in found):
        return None
    totals: dict[str, float] = {}
    for artifact in found:
        for name, value in pick(artifact):
            totals[name] = totals.get(name, 0.0) + value / len(found)
    return totals


def _grown(base: dict[str, float] | None, cand: dict[str, float] | None, unit: str) -> list[str]:
    if base is None or cand is None:
        return []
    growth = sorted(((cand[n] - base.get(n, 0.0), n) for n in cand), reverse=True)
    return [f"{fmt.shorten(' '.join(name.split()), 90)}: {base.get(name, 0.0):,.1f} -> "
            f"{cand[name]:,.1f} {unit}" for change, name in growth[:GROWN] if change > 0]


def grown_statements(comparison: RunComparison, key: str) -> list[str]:
    def pick(artifact: SqlStatements):
        return [(s.query, s.total_ms) for s in artifact.statements] if not artifact.missing else []
    return _grown(_mean_by(comparison.baseline, key, SqlStatements, pick),
                  _mean_by(comparison.candidate, key, SqlStatements, pick), "ms in all")


def grown_functions(comparison: RunComparison, key: str) -> list[str]:
    def pick(artifact: ProfileTop):
        seconds = artifact.seconds or 1
        return [(f.name, f.flat_ms / seconds) for f in artifact.functions]
    return _grown(_mean_by(comparison.baseline, key, ProfileTop, pick),
                  _mean_by(comparison.candidate, key, ProfileTop, pick), "ms flat per s")


def attributions(comparison: RunComparison) -> list[Attribution]:
    return [attribute_row(comparison, row) for row in comparison.regressions
            if row.kind == "endpoint"]


def attribution_lines(comparison: RunComparison) -> list[str]:
    found = attributions(comparison)
    if not found:
        return []
    lines = ["Where the time went (the master's own time, ServerTiming):"]
    for attribution in found:
        lines += attribution.lines()
    return lines
