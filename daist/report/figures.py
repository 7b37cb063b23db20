"""The plots of the HTML page: ``Plot`` (a PNG as a data URI), what the kinds' declared plotters
draw from a test's artifacts, and the saved PNGs of tests that no section shows. A kind's own
plots are drawn in its room (``rest_api/report_sections.py``, ``metrics/report_sections.py``).

Showing a new artifact type: a kind declares it with a function that draws it for a test
(``daist.framework.kinds.Artifact(ModelClass, plot=...)``); the loader then reads that class."""
from __future__ import annotations

import base64
from dataclasses import dataclass

from daist.framework.kinds import KINDS
from daist.models.base import Figure
from daist.report.loader import RunData

MAX_OTHER_PLOTS = 40
"""Saved PNGs of tests without data embedded at most (each is ~35 kB)."""


@dataclass(frozen=True)
class Plot:
    title: str
    data_uri: str
    source: str
    """The saved file it came from, or "drawn from <file>"."""


def data_uri(figure: Figure) -> str:
    return "data:image/png;base64," + base64.b64encode(figure.png).decode("ascii")


def declared_plots(run: RunData, key: str) -> list[Plot]:
    """What the kinds' declared plotters draw from a test's artifacts."""
    plots: list[Plot] = []
    for declared in KINDS.artifacts():
        artifact = run.artifact_of(declared.cls, key) if declared.plot else None
        if artifact is not None:
            plots += declared.plot(run, key, artifact)
    return plots


def other_plots(run: RunData) -> list[Plot]:
    """Saved PNGs of tests that have no load or metric data in this run (e.g. a crashed test)."""
    shown = {key for section in KINDS.sections() if section.template is not None
             for key in section.keys(run)}
    return [Plot(f"{f.key} {saved_title(f.tags, f.classname)}", data_uri(f.figure), f.file)
            for f in run.figures if f.key not in shown][:MAX_OTHER_PLOTS]


def saved_title(tags: tuple[str, ...], default: str) -> str:
    return " ".join(tags) if tags else default
