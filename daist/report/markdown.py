"""Markdown summaries for CI job pages (GitHub's ``$GITHUB_STEP_SUMMARY`` and the like): a run's
verdicts, each load test's limits with ✓/✗, the metric-latency table and the report's path; a
comparison's regressions and what it could not find. Both are appended to the file, as a job
step summary collects what each step adds."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from daist.report import fmt
from daist.report.loader import RunData
from daist.report.summary import (checks_of, headline, load_line, metric_table,
                                  saturation_warning, target_line, test_lines)

if TYPE_CHECKING:
    from daist.report.compare import RunComparison

STATUS_MARKS = {"passed": "✓", "failed": "✗", "error": "✗", "interrupted": "✗"}
LISTED = 20
"""Regressions and missing items shown; the rest are counted."""


def cell(text: object) -> str:
    """Text that stays in its table cell: pipes escaped, one line."""
    return " ".join(str(text).split()).replace("|", "\\|")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


def run_markdown(run: RunData, *, report: Path | None) -> str:
    outcome = run.result.outcome
    lines = [f"### {STATUS_MARKS.get(outcome.status, '')} {headline(run)}".replace("  ", " "),
             "", f"Target: {cell(target_line(run))}", ""]
    if run.result.error:
        lines += [f"**Error:** {cell(run.result.error)}", ""]
    tests = test_lines(run)
    if tests:
        lines += table(["", "test", "status", "seconds", "message"],
                       [[STATUS_MARKS.get(t.status, ""), t.key, t.status, f"{t.duration_s:.1f}",
                         t.message] for t in tests]) + [""]
    for key, test in run.locust.items():
        lines += [f"#### Load {key}", "", cell(load_line(test.stats)), ""]
        warning = saturation_warning(test.stats)
        if warning:
            lines += [f"**Warning:** {cell(warning)}", ""]
        checks = checks_of(run, key)
        if checks is None:
            lines += ["Limits: unknown (the run saved neither its limits nor its [locust] settings)", ""]
            continue
        lines += table(["", "scope", "figure", "measured", "limit", "headroom", "worst endpoint"],
                       [[c.mark, c.scope, c.measure, c.text(c.measured), c.text(c.limit),
                         f"{c.headroom:+.0%}", c.where if c.where != c.scope else ""]
                        for c in checks]) + [""]
    for key, test in run.metrics.items():
        header, *rows = metric_table(test.op_hist)
        lines += [f"#### Metric latency {key}: p95 ms by {test.op_hist.axis}", ""]
        lines += table(header, rows) + [""]
    if run.skipped:
        lines += [f"Skipped files (unreadable): {cell('; '.join(run.skipped))}", ""]
    lines.append(f"Report: `{report}`" if report is not None else "Report: not written")
    return "\n".join(lines) + "\n\n"


def comparison_markdown(comparison: RunComparison, *, html: Path | None) -> str:
    regressions = comparison.regressions
    verdict = ("✗ regression" if regressions else "✗ missing data" if comparison.missing
               else "✓ no regression")
    sides = (f"{len(comparison.baseline)} baseline run(s) against {len(comparison.candidate)} "
             "candidate run(s)")
    lines = [f"### daist compare: {verdict}", "", sides, ""]
    if regressions:
        rows = [[row.label, result.metric, result.value("base"), result.value("cand"),
                 result.wording, result.judged_by]
                for row in regressions[:LISTED] for result in row.results if result.regression]
        lines += table(["regression", "figure", "baseline", "candidate", "change", "judged by"],
                       rows)
        if len(regressions) > LISTED:
            lines.append(f"\nand {len(regressions) - LISTED} more")
        lines.append("")
    if comparison.missing:
        lines += ["Missing or unreadable (fails the comparison):", ""]
        lines += [f"- {cell(item)}" for item in comparison.missing[:LISTED]]
        if len(comparison.missing) > LISTED:
            lines.append(f"- and {len(comparison.missing) - LISTED} more")
        lines.append("")
    improved = len(comparison.improvements)
    if improved:
        lines += [f"{fmt.count(improved)} row(s) improved.", ""]
    if html is not None:
        lines.append(f"Comparison: `{html}`")
    return "\n".join(lines).rstrip() + "\n\n"


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)
