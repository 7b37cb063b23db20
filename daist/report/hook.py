"""The end-of-run report: ``daist.app`` adds ``write_run_report`` to the ``run_stop`` event
(and ``write_run_markdown`` to ``summary_md``). It reads the run's artifacts back from its
results directory (as ``python -m daist.report summary`` does; the manifest is the session's
own, saved just before), writes
``Report-<host>-<stamp>.html`` there, records it in that manifest and returns the summary for
the console. It never raises: whatever is wrong with the run's data, the user gets what could be
made and one line on what could not. It also points the host folder's ``latest`` symlink at
this run."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from daist.framework.log import get_logger

if TYPE_CHECKING:
    from daist.framework.session import Session

log = get_logger("report")
LATEST = "latest"


def point_latest(run_dir: Path) -> Path:
    """``<host folder>/latest`` -> this run's directory (relative, so the tree can move),
    replaced atomically. A ``latest`` that is not a symlink is left alone."""
    link = run_dir.parent / LATEST
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} exists and is not a symlink")
    temporary = run_dir.parent / f".{LATEST}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(run_dir.name, target_is_directory=True)
    os.replace(temporary, link)
    return link


def write_run_markdown(session: Session, path: Path) -> None:
    """Append the run's Markdown summary to ``path``; a run that never got a results directory
    still says why. ``OSError`` when the file cannot be written."""
    from daist.report.markdown import append, run_markdown

    if session.result is None:
        append(path, "### ✗ daist run error: it ended before its results directory was made "
                     "(the job's log says why)\n\n")
        return
    from daist.report.html import report_name
    from daist.report.loader import load_run

    run = load_run(session.results_dir, result=session.result, figures=False)
    report = run.directory / report_name(run)
    append(path, run_markdown(run, report=report if report.is_file() else None))


def write_run_report(session: Session) -> str:
    try:
        from daist.report.loader import load_run
        from daist.report.summary import summary_text

        run = load_run(session.results_dir, result=session.result)
        text = summary_text(run)
    except Exception as exc:
        log.debug("summary failed", exc_info=True)
        return f"daist: no summary or report: {type(exc).__name__}: {exc}"
    try:
        point_latest(run.directory)
    except OSError as exc:  # the summary and the report matter more
        log.warning("could not point %s at this run: %s", LATEST, exc)
    for item in run.skipped:
        log.warning("report: skipped %s", item)
    try:
        from daist.report.html import write_report

        path = write_report(run)
    except Exception as exc:  # the summary is still worth printing
        log.debug("report failed", exc_info=True)
        return text + f"Report not written: {type(exc).__name__}: {exc}"
    log.debug("report written: %s", path)
    return text + f"Report: {path}"
