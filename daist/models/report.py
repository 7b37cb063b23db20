"""``Report``: the self-contained HTML page of one run (``Report-<host>-<stamp>.html``), written
by ``daist.report`` at the end of every run and by ``python -m daist.report summary``. Plots are
embedded as PNG data URIs and the table sorting is inline, so the file alone is the report."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from daist.models.base import Format, TextDocument


@dataclass
class Report(TextDocument):
    """The page's HTML, kept verbatim."""

    formats: ClassVar[frozenset[Format]] = frozenset({Format.HTML})
    default_format: ClassVar[Format] = Format.HTML
