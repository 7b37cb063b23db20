"""What a test kind declares about itself, for the tools that read its results: ``report``,
``db`` and ``compare`` read these declarations and never import a kind (they sit below the
kinds). A kind declares, in its own room:

- ``settings``: its settings section, and ``check``: the checks of that section's grammar, run
  before anything starts (a bad setting must not surface hours into a run);
- ``limits``: how its pass/fail limits are parsed from its settings (the parsed form is what a
  verdict and the report judge by);
- ``artifacts``: the classes it saves that the tools read (``Artifact``: which files, where a
  report keeps them, a plot drawn from them, the database rows made of them);
- ``sections``: its parts of the summary and the HTML page (``Section``);
- ``compared``: the tests ``compare`` matches between runs, and how it compares one.

``daist.app`` declares each kind with one line (``KINDS.declare(...)``); every program that reads
results (``python -m daist``, ``daist report``, ``daist db``) goes through it. The order of
declaration is the order of the kinds' sections in a report. See docs/harness-api.md."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from daist.framework.errors import DaistError
from daist.models.base import DATA_FORMATS, Format

RunData = Any
"""``daist.report.loader.RunData`` (report sits above framework: named, not imported)."""


class UndeclaredKinds(DaistError):
    """A tool read results before any test kind was declared (it did not start through
    ``daist.app``): it would silently read nothing."""


@dataclass(frozen=True)
class Artifact:
    """An artifact class a kind saves and the tools read."""

    cls: type
    formats: frozenset[Format] = DATA_FORMATS
    """The saved formats the tools read (other renderings of the class are ignored)."""
    keep: Callable[[RunData, Any], None] | None = None
    """Files a read artifact (``report.loader.Loaded``) into ``RunData``; by default into
    ``RunData.artifacts[classname][test key]`` (``RunData.artifact_of``)."""
    plot: Callable[[RunData, str, Any], list] | None = None
    """Draws a test's artifact for the HTML page: ``(run, test key, artifact) -> [Plot]``,
    shown first in the test's section."""
    rows: Callable[..., None] | None = None
    """Adds the database rows of one artifact to its test's upload batch:
    ``(batch, artifact, *, relative, recorded, run)`` (``daist.db.rows``)."""


@dataclass(frozen=True)
class Section:
    """One part of a run's summary and HTML page, one block per test that has it."""

    keys: Callable[[RunData], list[str]]
    """The test keys of a run that have this section, in order."""
    text: Callable[[RunData, str], list[str]] | None = None
    """The summary's lines for one test (a blank line comes before them)."""
    template: str | Path | None = None
    """The HTML part: a template name in ``daist/report/templates`` or a file of the kind's
    own room; it sees ``part.context``."""
    context: Callable[[RunData, str], dict[str, Any]] | None = None
    """What the template is given for one test."""


@dataclass(frozen=True)
class Compared:
    """Tests ``compare`` matches by key between the runs of two sides."""

    noun: str
    """What one is called in a comparison's messages ("load test")."""
    tests: Callable[[RunData], dict[str, Any]]
    """A run's tests of this kind, by key."""
    compare: Callable[[Any, str], None]
    """Compares one test present on every run: ``(RunComparison, key)``."""


@dataclass(frozen=True)
class TestKind:
    __test__ = False  # not a unittest case

    name: str
    settings: str
    """The kind's settings section (``[locust]``, ``[metrics]``)."""
    check: Callable[[Any], None] | None = None
    """Checks the kind's settings before a run starts (``ConfigError``)."""
    limits: Callable[[Any], Any] | None = None
    """Parses the kind's pass/fail limits from the settings."""
    artifacts: tuple[Artifact, ...] = ()
    sections: tuple[Section, ...] = ()
    compared: tuple[Compared, ...] = ()


@dataclass
class Kinds:
    """The declared test kinds, in declaration order."""

    declared: list[TestKind] = field(default_factory=list)

    def declare(self, kind: TestKind) -> None:
        if any(k.name == kind.name for k in self.declared):
            raise ValueError(f"the test kind {kind.name!r} is declared twice")
        self.declared.append(kind)

    def __iter__(self) -> Iterator[TestKind]:
        if not self.declared:
            raise UndeclaredKinds("no test kind is declared: results are read through "
                                  "daist.app (python -m daist, daist report, daist db)")
        return iter(list(self.declared))

    def artifacts(self) -> list[Artifact]:
        return [artifact for kind in self for artifact in kind.artifacts]

    def sections(self) -> list[Section]:
        return [section for kind in self for section in kind.sections]

    def compared(self) -> list[Compared]:
        return [compared for kind in self for compared in kind.compared]


KINDS = Kinds()
"""The one registry of test kinds, filled by ``daist.app``."""
