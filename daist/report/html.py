"""The self-contained HTML page of a run (``Report-<host>-<stamp>.html``): jinja2 templates with
autoescaping (every string from an artifact is escaped, endpoint names included), the
stylesheet and the table-sorting script inlined, plots as PNG data URIs."""
from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import daist
from daist.models.base import Format
from daist.models.report import Report
from daist.models.timestamp import Timestamp
from daist.report import fmt
from daist.report.figures import load_test_plots, metric_test_plots, other_plots
from daist.report.loader import RunData
from daist.report.summary import (failure_rows, headline, load_line, saturation_warning,
                                  source_line, target_line, test_lines)

TEMPLATES = Path(__file__).with_name("templates")


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from markupsafe import Markup

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
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


def render_report(run: RunData) -> str:
    load_tests = [{"key": key, "file": test.file, "line": load_line(test.stats),
                   "warning": saturation_warning(test.stats),
                   "endpoints": sorted(test.stats.entries, key=lambda e: (-e.hdr.p95_ms, e.key)),
                   "failures": failure_rows(test.stats, limit=None), "steps": test.stats.steps,
                   "plots": load_test_plots(run, key)}
                  for key, test in run.locust.items()]
    warnings = [f"{test['key']}: {test['warning']}" for test in load_tests if test["warning"]]
    if run.skipped:
        warnings.append(f"{len(run.skipped)} file(s) could not be read and are left out "
                        "(listed at the end)")
    metric_tests = [{"key": key, "file": test.file, "axis": test.op_hist.axis,
                     "parameters": ", ".join(f"{k} = {v}" for k, v in test.op_hist.parameters.items()),
                     "rows": [{**row, "level": row[test.op_hist.axis]} for row in test.op_hist.rows()],
                     "plots": metric_test_plots(run, key)}
                    for key, test in run.metrics.items()]
    return render("report.html", result=run.result, directory=str(run.directory),
                  headline=headline(run), target=target_line(run), source=source_line(run),
                  warnings=warnings, tests=test_lines(run), load_tests=load_tests,
                  metric_tests=metric_tests, other_plots=other_plots(run), skipped=run.skipped)


def write_report(run: RunData, *, path: Path | None = None) -> Path:
    """Write the page to ``path``, or as a new ``Report`` artifact in the run's directory,
    recorded in the run's manifest (saved again). A manifest that could not be read is not
    rewritten: the page is then only written."""
    report = Report(text=render_report(run))
    if path is not None:
        return report.save(path, replace=True)
    manifest = run.result
    label = manifest.host_label or manifest.system or "run"
    target = manifest.new_path(Report.__name__, tags=(label,), fmt=Format.HTML)
    report.save(target)
    if run.manifest_readable:
        manifest.record(target, classname=Report.__name__)
    return target


def _finite(value: float) -> str:
    return repr(value) if isinstance(value, (int, float)) and math.isfinite(value) else ""
