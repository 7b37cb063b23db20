"""``Report``: the self-contained HTML page of one run (``Report-<host>-<stamp>.html``), written
by ``daist.report`` at the end of every run and by ``python -m daist.report summary --html``.
Plots are embedded as PNG data URIs and the table sorting is inline, so the file alone is the
report.

``LimitViolations``: every limit a load test broke, one line each, in full (the test's one-line
message carries the count and the first five)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from daist.models.base import Artifact, Format, TextDocument


@dataclass
class Report(TextDocument):
    """The page's HTML, kept verbatim."""

    formats: ClassVar[frozenset[Format]] = frozenset({Format.HTML})
    default_format: ClassVar[Format] = Format.HTML


@dataclass
class LimitViolations(Artifact):
    """``LimitViolations-<Class.method>-<stamp>.json``; empty ``violations``: every limit held."""

    violations: list[str] = field(default_factory=list)
    SHOWN: ClassVar[int] = 5

    @property
    def message(self) -> str:
        """One line: how many limits broke and the five worst (``violations`` comes worst first,
        the whole test's failure ratio leading); the rest are in this artifact, the summary and
        the report."""
        count = len(self.violations)
        more = count - self.SHOWN
        return (f"{count} limit{'s' if count > 1 else ''} broken: "
                f"{'; '.join(self.violations[:self.SHOWN])}"
                + (f"; and {more} more (every limit is listed in the report)" if more > 0 else ""))
