"""The comparison as text and as an HTML page. The text leads with the headline: regressions,
largest first; improvements; one line for everything unchanged; what is missing. Each changed
figure says which mode judged it and how much noise it saw. ``--all`` adds every figure per
test (pyperf's table). Both only render; the exit status is the CLI's."""
from __future__ import annotations

from typing import Callable

from daist.report import fmt
from daist.report.attribution import attribution_lines
from daist.report.compare import (EVIDENCE, IMPROVEMENT, NOT_JUDGED, NOT_SIGNIFICANT, NOT_TESTABLE,
                                  REGRESSION, WITHIN, CompareResult, RowComparison, RunComparison)
from daist.report.detectable import caught_text, unchanged_line
from daist.report.loader import RunData
from daist.report.stats import BLOCKS, NO_SPREAD, RUNS

KIND_TITLES = {"endpoint": "endpoints", "total": "test totals", "step": "sweep steps",
               "metric": "metric-latency levels"}
VERDICT_ORDER = (REGRESSION, IMPROVEMENT, NOT_TESTABLE, NOT_SIGNIFICANT, WITHIN, NOT_JUDGED)
METRIC_NAMES = {"p50": "p50", "p95": "p95", "p99": "p99", "rps": "req/s", "fail": "failed"}
CSS = {NOT_SIGNIFICANT: "not-significant"}
"""A verdict's style class where it is not its own words."""
WORST = 5
"""Rows the one-line verdict names; the headline and the HTML page list them all."""


def describe(run: RunData) -> str:
    result = run.result
    commit = str(result.metadata.get("git_commit") or "")[:10]
    return (f"{result.system or '?'}, Determined {result.version.determined.server or '?'}, "
            f"started {fmt.when(result.start_time)}{f', commit {commit}' if commit else ''}")


def describe_side(runs: list[RunData]) -> str:
    if len(runs) == 1:
        return f"{runs[0].directory} ({describe(runs[0])})"
    return f"{len(runs)} runs: " + "; ".join(f"{run.directory} ({describe(run)})" for run in runs)


def threshold_text(comparison: RunComparison) -> str:
    t = comparison.thresholds
    return (f"a change counts when worse or better by more than {fmt.percent(t.min_change, digits=0)} "
            f"(latencies also by more than {t.noise_floor_ms:g} ms, failure ratios by more than "
            f"{t.fail_floor * 100:g} percentage points; tails need more: {_evidence_text()}) and "
            f"beyond the noise (every run's blocks and the spread between runs): significant at "
            f"alpha {t.alpha:g} after Holm's correction over the {comparison.tests_run} "
            f"figures tested")


def _evidence_text() -> str:
    """"blocks: p95 x2 (alpha x0.1), p99 x4 (alpha x0.01); runs: p99 x2"."""
    parts = []
    for mode in (BLOCKS, RUNS):
        items = [f"{metric} x{factor:g}" + (f" (alpha x{alpha:g})" if alpha != 1 else "")
                 for metric, (factor, alpha) in EVIDENCE[mode].items()]
        parts.append(f"{mode}: {', '.join(items)}")
    return "; ".join(parts)


def _figures(row: RowComparison, verdict: str) -> list[CompareResult]:
    return [r for r in row.results if r.verdict == verdict]


def verdict_text(comparison: RunComparison) -> str:
    """One line: what fails the comparison (a count and the worst five of each), or that
    nothing does."""
    parts = []
    regressions = comparison.regressions
    if regressions:
        items = [f"{row.label} ({', '.join(METRIC_NAMES[r.metric] for r in _figures(row, REGRESSION))})"
                 for row in regressions[:WORST]]
        more = f"; and {len(regressions) - WORST} more" if len(regressions) > WORST else ""
        parts.append(f"{len(regressions)} regression{'s' if len(regressions) > 1 else ''}: "
                     + "; ".join(items) + more)
    missing = comparison.missing
    if missing:
        more = f"; and {len(missing) - WORST} more" if len(missing) > WORST else ""
        parts.append(f"{len(missing)} missing or unreadable: " + "; ".join(missing[:WORST]) + more)
    if not parts:
        return "No regression."
    return "FAILED: " + " | ".join(parts)


def geometric_mean_text(comparison: RunComparison) -> str | None:
    means = comparison.geometric_means()
    if not means:
        return None
    parts = []
    for metric, mean in means.items():
        shown = 1 / mean.ratio if metric == "rps" else mean.ratio  # fewer requests/s reads as slower
        moved = fmt.times(shown, worse="slower", better="faster")
        counted = (f"{mean.regressions} regressed, {mean.improvements} improved"
                   if mean.regressions or mean.improvements
                   else "no row changed beyond the noise and thresholds")
        parts.append(f"{METRIC_NAMES[metric]} {moved} over {mean.rows} rows ({counted})")
    return "Geometric means: " + "; ".join(parts)


def headline_lines(comparison: RunComparison) -> list[str]:
    lines: list[str] = []
    for title, rows, verdict in (("Regressions (largest first)", comparison.regressions, REGRESSION),
                                 ("Improvements", comparison.improvements, IMPROVEMENT)):
        if rows:
            lines.append(f"{title}:")
            for row in rows:
                lines += [f"  {row.label} {_figure_text(r)}" for r in _figures(row, verdict)]
        if verdict == REGRESSION:
            lines += attribution_lines(comparison)
    shown = [(row, r) for row in comparison.rows for r in row.results
             if r.note and r.base > 0 and abs(r.ratio - 1) >= 0.005]
    if shown:
        lines.append("Not judged:")
        lines += [f"  {row.label} {METRIC_NAMES[r.metric]} {r.value('base')} -> {r.value('cand')}, "
                  f"{r.wording}: {r.note}" for row, r in shown]
    unchanged = [row for row in comparison.rows if not row.changed]
    if unchanged:
        kinds = ", ".join(f"{sum(r.kind == kind for r in unchanged)} {title}"
                          for kind, title in KIND_TITLES.items()
                          if any(r.kind == kind for r in unchanged))
        modes = sorted({r.judged_by for row in unchanged for r in row.results
                        if r.judged and (r.outcome.testable or r.outcome.reason == NO_SPREAD)})
        lines.append(f"Unchanged: {kinds} (judged by {', '.join(modes) or 'nothing'})")
        could = unchanged_line(comparison)
        if could:
            lines.append(f"  {could}")
    if comparison.missing:
        lines.append("Missing or unreadable (the comparison fails):")
        lines += [f"  {fmt.shorten(item, 200)}" for item in comparison.missing]
    return lines


def _figure_text(result: CompareResult) -> str:
    return (f"{METRIC_NAMES[result.metric]} {result.value('base')} -> {result.value('cand')}, "
            f"{result.wording} [{result.judged_by}, noise {result.noise_text}, "
            f"p {_p_text(result)}]")


def render_text(comparison: RunComparison, *, show_all: bool = False) -> str:
    lines: list[str] = []
    write = lines.append
    write(f"Baseline:  {describe_side(comparison.baseline)}")
    write(f"Candidate: {describe_side(comparison.candidate)}")
    for fact in comparison.comparability.facts:
        write(f"  {fact}")
    for difference in comparison.comparability.differences:
        write(f"  Differs: {difference}")
    write(f"Rule: {threshold_text(comparison)}.")
    for refusal in comparison.comparability.refusals:
        write(f"NOT COMPARABLE: {refusal}")
    for warning in comparison.comparability.warnings:
        write(f"Warning: {warning}")
    write("")
    lines += headline_lines(comparison)
    if show_all:
        for key in dict.fromkeys(row.test for row in comparison.rows):
            _test_table(comparison, key, write)
    _notes(comparison, write)
    mean = geometric_mean_text(comparison)
    if mean:
        write("")
        write(mean)
    write("")
    write(verdict_text(comparison))
    return "\n".join(lines) + "\n"


def _test_table(comparison: RunComparison, key: str, write: Callable[[str], None]) -> None:
    write("")
    write(f"{key}:")
    table = [["", "figure", "baseline", "candidate", "change", "judged by", "noise",
              "p (Holm)", "could catch", "verdict"]]
    for row in (row for row in comparison.rows if row.test == key):
        for index, result in enumerate(row.results):
            table.append([fmt.shorten(row.name, 48) if index == 0 else "",
                          METRIC_NAMES[result.metric], result.value("base"), result.value("cand"),
                          result.wording, result.judged_by, result.noise_text, _p_text(result),
                          caught_text(result),
                          result.verdict.upper() if result.changed else result.verdict])
    for line in fmt.columns(table, right={2, 3, 6, 7, 8}, indent="  "):
        write(line)


def _notes(comparison: RunComparison, write: Callable[[str], None]) -> None:
    untestable = [f"{row.label} {METRIC_NAMES[r.metric]}: {r.outcome.reason}"
                  for row in comparison.rows for r in row.results if r.verdict == NOT_TESTABLE]
    if untestable:
        write("")
        write("Not testable (beyond the thresholds, too little data for a test): "
              + "; ".join(untestable))
    if comparison.unmatched:
        write("")
        write("In the candidate only: " + "; ".join(comparison.unmatched))


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
                  baseline=describe_side(comparison.baseline),
                  candidate=describe_side(comparison.candidate),
                  rule=threshold_text(comparison), verdict=verdict_text(comparison),
                  headline=headline_lines(comparison), mean=geometric_mean_text(comparison))


def _html_rows(rows: list[RowComparison]) -> list[dict]:
    """One line per figure, the row named on each, so sorting by any column keeps lines whole;
    changes first."""
    lines = [{"row": row, "result": result, "css": CSS.get(result.verdict, result.verdict.replace(" ", "-")),
              "p_text": _p_text(result), "p_raw": fmt.p_value(result.outcome.p_value),
              "could": caught_text(result)}
             for row in rows for result in row.results]
    return sorted(lines, key=lambda line: VERDICT_ORDER.index(line["result"].verdict))
