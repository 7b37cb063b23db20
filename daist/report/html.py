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
from daist.models.evidence import ProfileTop, ServerTiming, SqlStatements
from daist.report import fmt
from daist.report.evidence import timing_rows
from daist.report.faults import faults_line
from daist.report.figures import other_plots
from daist.report.loader import RunData
from daist.report.summary import headline, source_line, target_line, test_lines

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


@dataclass(frozen=True)
class Part:
    """One test's section of the page: a declared template and what it is given."""

    template: str
    context: dict[str, Any]
    number: int
    """1, 2 ... among the parts of its section (unique element ids)."""


def evidence_context(run: RunData, key: str) -> dict[str, Any]:
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


def report_name(run: RunData) -> str:
    """``Report-<host>-<run stamp>.html``: the run directory's own stamp (its start)."""
    manifest = run.result
    label = manifest.host_label or manifest.system or "run"
    return ArtifactName(Report.__name__, (label,), manifest.start_time, Format.HTML).filename


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
