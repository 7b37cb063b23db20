"""The comparison as text (pyperf's table: changed rows only, the others named on one line,
changes worded "1.30x slower", a geometric mean of two rows or more) and as an HTML page with
every row, sortable. Both only render; the exit status is the CLI's."""
from __future__ import annotations

from typing import Callable

from daist.report import fmt
from daist.report.compare import (IMPROVEMENT, NOT_JUDGED, NOT_SIGNIFICANT, NOT_TESTABLE,
                                  REGRESSION, WITHIN, CompareResult, RowComparison, RunComparison)
from daist.report.loader import RunData

KIND_TITLES = {"endpoint": "endpoints", "total": "all endpoints together",
               "step": "user sweep steps", "metric": "metric-latency levels"}
VERDICT_ORDER = (REGRESSION, IMPROVEMENT, NOT_TESTABLE, NOT_SIGNIFICANT, WITHIN, NOT_JUDGED)
METRIC_NAMES = {"p50": "p50", "p95": "p95", "p99": "p99", "rps": "req/s", "fail": "failed"}


def describe(run: RunData) -> str:
    result = run.result
    commit = str(result.metadata.get("git_commit") or "")[:10]
    return (f"{result.system or '?'}, Determined {result.version.determined.server or '?'}, "
            f"started {fmt.when(result.start_time)}{f', commit {commit}' if commit else ''}")


def threshold_text(comparison: RunComparison) -> str:
    t = comparison.thresholds
    return (f"a change counts when worse or better by more than {fmt.percent(t.min_change, digits=0)} "
            f"(latencies also by more than {t.noise_floor_ms:g} ms, failure ratios by more than "
            f"{t.fail_floor * 100:g} percentage points) and significant at alpha {t.alpha:g} "
            f"after Holm's correction over {comparison.tests_run} tests")


def verdict_text(comparison: RunComparison) -> str:
    regressions = comparison.regressions
    if not regressions:
        return "No regression."
    items = [f"{row.label} ({', '.join(METRIC_NAMES[r.metric] for r in row.results if r.regression)})"
             for row in regressions]
    return f"{len(regressions)} regression{'s' if len(regressions) > 1 else ''}: " + "; ".join(items)


def geometric_mean_text(comparison: RunComparison) -> str | None:
    means = comparison.geometric_means()
    if not means:
        return None
    rows = max(n for _, n in means.values())
    parts = []
    for metric, (ratio, _) in means.items():
        shown = 1 / ratio if metric == "rps" else ratio  # fewer requests/s reads as slower
        parts.append(f"{METRIC_NAMES[metric]} {fmt.times(shown, worse='slower', better='faster')}")
    return f"Geometric mean over {rows} rows: " + ", ".join(parts)


def render_text(comparison: RunComparison, *, show_all: bool = False) -> str:
    lines: list[str] = []
    write = lines.append
    write(f"Baseline:  {comparison.baseline.directory} ({describe(comparison.baseline)})")
    write(f"Candidate: {comparison.candidate.directory} ({describe(comparison.candidate)})")
    for fact in comparison.comparability.facts:
        write(f"  {fact}")
    write(f"Rule: {threshold_text(comparison)}.")
    for refusal in comparison.comparability.refusals:
        write(f"NOT COMPARABLE: {refusal}")
    for warning in comparison.comparability.warnings:
        write(f"Warning: {warning}")
    for key in dict.fromkeys(row.test for row in comparison.rows):
        _test_section(comparison, key, write, show_all=show_all)
    _notes(comparison, write)
    mean = geometric_mean_text(comparison)
    if mean:
        write("")
        write(mean)
    write("")
    write(verdict_text(comparison))
    return "\n".join(lines) + "\n"


def _test_section(comparison: RunComparison, key: str, write: Callable[[str], None], *,
                  show_all: bool) -> None:
    rows = [row for row in comparison.rows if row.test == key]
    shown = [row for row in rows if show_all or row.changed]
    hidden = [row for row in rows if row not in shown]
    write("")
    write(f"{key}:")
    if shown:
        table = [["", "figure", "baseline", "candidate", "change", "p (Holm)", "verdict"]]
        for row in shown:
            results = [r for r in row.results if show_all or r.changed]
            for index, result in enumerate(results):
                table.append([fmt.shorten(row.name, 48) if index == 0 else "",
                              METRIC_NAMES[result.metric], result.value("base"),
                              result.value("cand"), result.wording, _p_text(result),
                              result.verdict.upper() if result.changed else result.verdict])
        for line in fmt.columns(table, right={2, 3, 5}, indent="  "):
            write(line)
    if hidden:
        kinds = ", ".join(dict.fromkeys(KIND_TITLES[row.kind] for row in hidden))
        names = ", ".join(row.name for row in hidden)
        write(f"  Unchanged ({len(hidden)} rows of {kinds}): {names}")


def _notes(comparison: RunComparison, write: Callable[[str], None]) -> None:
    untestable = [f"{row.label} {METRIC_NAMES[r.metric]}: {r.outcome.reason}"
                  for row in comparison.rows for r in row.results if r.verdict == NOT_TESTABLE]
    if untestable:
        write("")
        write("Not testable (beyond the thresholds, too little data for a test): "
              + "; ".join(untestable))
    if comparison.unmatched:
        write("")
        write("In one run only: " + "; ".join(comparison.unmatched))
    problems = _unreadable(comparison)
    if problems:
        write("")
        write("Skipped (unreadable):")
        for item in problems:
            write(f"  {fmt.shorten(item, 160)}")


def _unreadable(comparison: RunComparison) -> list[str]:
    """The files either run skipped, then the data that was present but unusable."""
    return [f"baseline {item}" for item in comparison.baseline.skipped] + \
        [f"candidate {item}" for item in comparison.candidate.skipped] + comparison.notes


def _p_text(result: CompareResult) -> str:
    if result.p_adjusted is not None:
        return fmt.p_value(result.p_adjusted)
    return "-"


def render_html(comparison: RunComparison) -> str:
    from daist.report.html import render

    sections = []
    for key in dict.fromkeys(row.test for row in comparison.rows):
        rows = [row for row in comparison.rows if row.test == key]
        sections.append({"key": key, "rows": _html_rows(rows)})
    return render("compare.html", comparison=comparison, sections=sections,
                  baseline=describe(comparison.baseline), candidate=describe(comparison.candidate),
                  rule=threshold_text(comparison), verdict=verdict_text(comparison),
                  mean=geometric_mean_text(comparison), skipped=_unreadable(comparison))


def _html_rows(rows: list[RowComparison]) -> list[dict]:
    """One line per figure, the row named on each, so sorting by any column keeps lines whole;
    changes first."""
    lines = [{"row": row, "result": result, "css": result.verdict.replace(" ", "-"),
              "p_text": _p_text(result), "p_raw": fmt.p_value(result.outcome.p_value)}
             for row in rows for result in row.results]
    return sorted(lines, key=lambda line: VERDICT_ORDER.index(line["result"].verdict))
