"""``PerfTestRun``: the two rows-and-columns tables of the perf-results database, for one test.

File: ``PerfTestRun-<Class>.<method>-<stamp>.txt`` (also JSON/YAML). The text is two ASCII
tables, as the original daist printed them, and it opens back (``from_text``)::

    PerfTestRunsTable:
    +---------+--------+----------------------+
    | Commit  | Branch | Time                 |
    +---------+--------+----------------------+
    | 1a2b3c4 | main   | 2024-07-29T18:49:42Z |
    +---------+--------+----------------------+

    PerfTestsTable:
    +-----------------+-------+-------+-------+-------+-------+-------+-------+--------+-------+
    | Test Name       | Avg   | Min   | Med   | Max   | P90   | P95   | P99   | Passes | Fails |
    ...

Columns map one to one to the database schema shared with the k6 pipeline:
``perf_test_runs(commit, branch, time)`` and ``perf_tests(test_name, avg, min, med, max, p90,
p95, passes, fails)``; ``p99`` is new (a column the upload may add). Times are milliseconds over
the steady-state window: avg/min/max are exact, med/p90/p95/p99 come from the exact HDR
histogram (the original used Locust's rounded buckets). ``test_name`` keeps the historical
names. The text rounds to 3 decimals, so a text round trip equals the data to 0.001 ms.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

from daist.models.base import DATA_FORMATS, Artifact, Format
from daist.models.locust import EndpointStats, LocustStatsList
from daist.models.percentiles import told_or_none
from daist.models.serde import from_data
from daist.models.timestamp import Timestamp

RUNS_TITLE = "PerfTestRunsTable:"
TESTS_TITLE = "PerfTestsTable:"


@dataclass
class PerfTestRunRow:
    commit: str = ""
    branch: str = ""
    time: Timestamp = field(default_factory=Timestamp.now)


@dataclass
class PerfTestRow:
    test_name: str = ""
    avg: float = 0.0
    min: float = 0.0
    med: float = 0.0
    max: float = 0.0
    p90: float | None = 0.0
    p95: float | None = 0.0
    p99: float | None = 0.0
    """None (NULL) where the samples cannot tell the percentile (``daist.models.percentiles``)."""
    passes: int = 0
    fails: int = 0

    @classmethod
    def of(cls, entry: EndpointStats) -> PerfTestRow:
        locust = entry.locust
        hdr = entry.hdr
        avg = locust.total_response_time / locust.num_requests if locust.num_requests else hdr.mean_ms
        return cls(test_name=entry.test_name, avg=round(avg, 3),
                   min=round(locust.min_response_time if locust.min_response_time is not None
                             else hdr.min_ms, 3),
                   med=hdr.p50_ms,
                   max=round(locust.max_response_time if locust.num_requests else hdr.max_ms, 3),
                   **{name: told_or_none(hdr.percentile(name), name, hdr.count)
                      for name in ("p90", "p95", "p99")},
                   passes=entry.num_requests - entry.num_failures, fails=entry.num_failures)


RUN_COLUMNS = [f.name for f in dataclasses.fields(PerfTestRunRow)]
TEST_COLUMNS = [f.name for f in dataclasses.fields(PerfTestRow)]
RIGHT_ALIGNED = {"passes", "fails"}


def header(column: str) -> str:
    return column.replace("_", " ").title()


NOT_TOLD = "-"
"""A percentile's cell where too few samples tell it (None, NULL in the database)."""


def cell(value: object) -> str:
    if value is None:
        return NOT_TOLD
    if isinstance(value, Timestamp):
        return value.iso_seconds
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def render_table(columns: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max([len(header(c))] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values: list[str], *, is_header: bool) -> str:
        parts = [v.rjust(w) if c in RIGHT_ALIGNED and not is_header else v.ljust(w)
                 for v, w, c in zip(values, widths, columns)]
        return "| " + " | ".join(parts) + " |"
    out = [rule, line([header(c) for c in columns], is_header=True), rule]
    out += [line(row, is_header=False) for row in rows]
    return out + [rule]


def parse_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """``{title: [row dict by header]}`` for each titled ASCII table in ``text``."""
    tables: dict[str, list[dict[str, str]]] = {}
    title, columns = None, None
    for raw in text.splitlines():
        line = raw.strip()
        if line.endswith(":") and not line.startswith(("|", "+")):
            title, columns = line, None
            tables[title] = []
        elif line.startswith("|") and title is not None:
            values = [v.strip() for v in line.strip("|").split(" | ")]
            if columns is None:
                columns = values
            elif len(values) != len(columns):
                raise ValueError(f"{title} row has {len(values)} cells, expected {len(columns)}")
            else:
                tables[title].append(dict(zip(columns, values)))
    return tables


def read_rows(row_type: type, columns: list[str], rows: list[dict[str, str]]) -> list:
    """Rows parsed back into ``row_type``, each cell typed by its field's declaration."""
    return [from_data(row_type, {c: None if row.get(header(c)) == NOT_TOLD else row.get(header(c), "")
                                 for c in columns}) for row in rows]


@dataclass
class PerfTestRun(Artifact):
    formats: ClassVar[frozenset[Format]] = frozenset({Format.TXT} | DATA_FORMATS)
    default_format: ClassVar[Format] = Format.TXT
    run: PerfTestRunRow = field(default_factory=PerfTestRunRow)
    tests: list[PerfTestRow] = field(default_factory=list)

    @classmethod
    def of(cls, stats: LocustStatsList, *, commit: str, branch: str,
           time: Timestamp | None = None) -> PerfTestRun:
        """One row per endpoint that saw requests in the window, sorted by name."""
        rows = [PerfTestRow.of(e) for e in sorted(stats.entries, key=lambda e: e.key)
                if e.num_requests]
        when = time or Timestamp.now()
        return cls(run=PerfTestRunRow(commit=commit, branch=branch, time=Timestamp(int(when.unix))),
                   tests=rows)

    def to_text(self, fmt: Format) -> str:
        run_row = [cell(getattr(self.run, c)) for c in RUN_COLUMNS]
        test_rows = [[cell(getattr(t, c)) for c in TEST_COLUMNS] for t in self.tests]
        lines = [RUNS_TITLE, *render_table(RUN_COLUMNS, [run_row]), "", TESTS_TITLE,
                 *render_table(TEST_COLUMNS, test_rows)]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str, fmt: Format) -> PerfTestRun:
        tables = parse_tables(text)
        if RUNS_TITLE not in tables or TESTS_TITLE not in tables:
            raise ValueError(f"expected the tables {RUNS_TITLE} and {TESTS_TITLE}")
        runs = tables[RUNS_TITLE]
        if len(runs) != 1:
            raise ValueError(f"{RUNS_TITLE} must have one row, found {len(runs)}")
        (run,) = read_rows(PerfTestRunRow, RUN_COLUMNS, runs)
        return cls(run=run, tests=read_rows(PerfTestRow, TEST_COLUMNS, tables[TESTS_TITLE]))
