"""The self-contained HTML page of a run (``Report-<host>-<stamp>.html``): jinja2 templates with
autoescaping (every string from an artifact is escaped, endpoint names included), the
stylesheet and the table-sorting script inlined, plots as PNG data URIs."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import daist
from daist.framework.kinds import KINDS
from daist.models.base import ArtifactName, Format
from daist.models.report import Report
from daist.models.timestamp import Timestamp
from daist.report import fmt
from daist.models.evidence import ProfileTop, ServerTiming, SqlStatements
from daist.models.locust import LocustStatsList
from daist.models.percentiles import min_samples, percentile_number, told_stats
from daist.report.evidence import timing_rows
from daist.report.faults import faults_line
from daist.report.figures import Plot, data_uri, load_test_plots, metric_test_plots, other_plots
from daist.report.loader import RunData
from daist.report.metric_answer import answer
from daist.report.limits import endpoint_breaks, limit_checks, run_slo
from daist.report.summary import (failure_rows, headline, load_line, saturation_warning,
                                  slowest, source_line, target_line, test_lines, told_steps)

TEMPLATES = Path(__file__).with_name("templates")


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, FunctionLoader, StrictUndefined
    from markupsafe import Markup

    # a kind's own section template is named by its absolute path (a file of daist, not data)
    own = FunctionLoader(lambda name: Path(name).read_text(encoding="utf-8")
                         if Path(name).is_absolute() else None)
    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)), own]), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(ms=fmt.ms, rate=fmt.rate, percent=fmt.percent, count=fmt.count,
                       pvalue=fmt.p_value, when=fmt.when, finite=_finite)
    # our own files, not data: inlined verbatim
    env.globals.update(style=Markup((TEMPLATES / "style.css").read_text(encoding="utf-8")),
                       script=Markup((TEMPLATES / "sort.js").read_text(encoding="utf-8")),
                       daist_version=daist.__version__)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(written=Timestamp.now().iso_seconds,
                                                       **context)


SLOWEST_SHOWN = 5


@dataclass(frozen=True)
class Part:
    """One test's section of the page: a declared template and what it is given."""

    template: str
    context: dict[str, Any]
    number: int
    """1, 2 ... among the parts of its section (unique element ids)."""


def load_section(run: RunData, key: str) -> dict[str, Any]:
    stats = run.locust[key].stats
    slo = run_slo(run.settings)
    breaks = {} if slo is None else {e.key: endpoint_breaks(e, slo) for e in stats.entries}
    return {"key": key, "file": run.locust[key].file, "line": load_line(stats),
            "warning": saturation_warning(stats),
            "checks": limit_checks(stats, slo) if slo is not None else None,
            "breaks": {k: v for k, v in breaks.items() if v},
            "slowest": slowest(stats, limit=SLOWEST_SHOWN), "failures": failure_rows(stats, limit=None),
            "endpoints": sorted(stats.entries, key=lambda e: (-e.hdr.p95_ms, e.key)),
            "steps": told_steps(stats.steps), "plots": load_test_plots(run, key), **_evidence(run, key)}


def _evidence(run: RunData, key: str) -> dict[str, Any]:
    timing = run.artifact_of(ServerTiming, key)
    return {"timing": timing_rows(timing) if timing is not None else None,
            "timing_source": timing.source if timing is not None else {},
            "timing_warnings": timing.outside_warnings() if timing is not None else [],
            "sql": run.artifact_of(SqlStatements, key), "profile": run.artifact_of(ProfileTop, key)}


def render_report(run: RunData) -> str:
    parts = [Part(str(section.template), section.context(run, key), number)
             for section in KINDS.sections() if section.template is not None
             and section.context is not None
             for number, key in enumerate(section.keys(run), start=1)]
    warnings = [f"{part.context['key']}: {part.context['warning']}" for part in parts
                if part.context.get("warning")]
    if run.skipped:
        warnings.append(f"{len(run.skipped)} file(s) could not be read and are left out "
                        "(listed at the end)")
    return render("report.html", result=run.result, directory=str(run.directory),
                  faults=faults_line(run.result.metadata),
                  headline=headline(run), target=target_line(run), source=source_line(run),
                  warnings=warnings, tests=test_lines(run), parts=parts, other_plots=other_plots(run), skipped=run.skipped)


def metric_section(run: RunData, key: str) -> dict[str, Any]:
    """The answer first (one chart, the sentence), then the table; the per-level figures are
    folded below it."""
    op_hist = run.metrics[key].op_hist
    found = answer(op_hist, run.settings, title=f"{key}: write and visible latency")
    chart = None
    if found.figure is not None:
        chart = Plot("Write and visible p50/p95 by " + op_hist.axis, data_uri(found.figure),
                     f"drawn from {run.metrics[key].file}")
    return {"key": key, "file": run.metrics[key].file, "axis": op_hist.axis,
            "parameters": ", ".join(f"{k} = {v}" for k, v in op_hist.parameters.items()),
            "rows": [_told(row, op_hist.axis) for row in op_hist.rows()],
            "needs": {name: min_samples(percentile_number(name)) for name in TOLD},
            "answer": found.sentence, "breaks": found.breaking_level is not None,
            "chart": chart, "plots": metric_test_plots(run, key)}


def report_name(run: RunData) -> str:
    """``Report-<host>-<run stamp>.html``: the run directory's own stamp (its start)."""
    manifest = run.result
    label = manifest.host_label or manifest.system or "run"
    return ArtifactName(Report.__name__, (label,), manifest.start_time, Format.HTML).filename


TOLD = ("p90", "p95", "p99")
"""The percentiles whose sample needs the metric table's note states."""


def _told(row: dict[str, Any], axis: str) -> dict[str, Any]:
    return {**told_stats(row), "level": row[axis]}


def write_report(run: RunData, *, path: Path | None = None) -> Path:
    """Write the page to ``path``, or as the run's ``Report`` artifact in its directory (the
    end of the session), recorded in the run's manifest (saved again). A manifest that could
    not be read is not rewritten: the page is then only written."""
    report = Report(text=render_report(run))
    if path is not None:
        return report.save(path, replace=True)
    manifest = run.result
    target = run.directory / report_name(run)
    report.save(target, replace=True)
    if run.manifest_readable:
        manifest.record(target, classname=Report.__name__)
    return target


def _finite(value: float) -> str:
    return repr(value) if isinstance(value, (int, float)) and math.isfinite(value) else ""
