"""The results manifest: one ``Result-<host>-<stamp>.json`` per run, listing every artifact with
the test that produced it, next to the metadata needed to read the numbers later (pyperf-style
self-describing JSON).

Manifest format history (``schema_version``):
  1  the original daist: integer Unix times, FileMeta without classname, no outcome. Files of
     this version have no ``schema_version`` key; they still load.
  2  daist 0.1: float Unix + ISO times, ``system``, ``environment``, ``outcome`` and per-test
     ``tests``, ``interrupted``, ``error``, ``metadata``, FileMeta.classname.
"""
from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from daist.models.base import Artifact, ArtifactName, Format, FormatError, write_atomic
from daist.models import serde
from daist.models.timestamp import Timestamp

SCHEMA_VERSION = 2


class ManifestVersionError(ValueError):
    pass


def test_key(test_id: str | None) -> str:
    """``Class.method`` of a unittest id: the tag that names a test's artifacts and how the
    report matches tests across runs."""
    return ".".join((test_id or "").split(".")[-2:]) or "(no test)"


@dataclass(frozen=True)
class FileMeta:
    """What the manifest knows about one file: which class reads it, which test wrote it, when."""

    classname: str | None = None
    test_id: str | None = None
    time: Timestamp = field(default_factory=Timestamp.now)


@dataclass
class DeterminedVersion:
    client: str = ""
    server: str = ""


@dataclass
class Versions:
    daist: str = ""
    determined: DeterminedVersion = field(default_factory=DeterminedVersion)
    locust: str = ""
    python: str = ""


@dataclass
class Host:
    determined: str = ""
    """The master URL the run talked to."""


@dataclass
class TestRecord:
    """One test's verdict, as unittest saw it."""

    status: str = "running"
    """running, passed, failed, error, skipped, expected_failure, unexpected_success"""
    duration_s: float = 0.0
    message: str = ""


@dataclass
class Outcome:
    tests_run: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    expected_failures: int = 0
    unexpected_successes: int = 0
    status: str = "running"
    """running, passed, failed, error (the session itself failed) or interrupted"""


@dataclass
class Result(Artifact):
    schema_version: int = SCHEMA_VERSION
    command: str = ""
    system: str = ""
    """What was tested: ``standin`` for the embedded stand-in, else the configured label."""
    host: Host = field(default_factory=Host)
    start_time: Timestamp = field(default_factory=Timestamp.now)
    end_time: Timestamp | None = None
    version: Versions = field(default_factory=Versions)
    environment: dict[str, str] = field(default_factory=dict)
    """The non-secret environment variables daist reads, as set for this run."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Run-shaping facts (git commit/branch, settings digest, hostname, CPU count...)."""
    outcome: Outcome = field(default_factory=Outcome)
    tests: dict[str, TestRecord] = field(default_factory=dict)
    interrupted: bool = False
    error: str | None = None
    files: dict[str, FileMeta] = field(default_factory=dict)
    directory: Path | None = field(default=None, metadata={"serialize": False})
    host_label: str = field(default="", metadata={"serialize": False})

    default_format: ClassVar[Format] = Format.JSON

    def __post_init__(self) -> None:
        self._lock = threading.RLock()

    @classmethod
    def from_data(cls, data: Any) -> Result:
        version = data.get("schema_version", 1) if isinstance(data, dict) else None
        if version not in (1, SCHEMA_VERSION):
            raise ManifestVersionError(f"manifest schema_version {version!r} not supported "
                                       f"(this daist reads 1 to {SCHEMA_VERSION})")
        return serde.build_dataclass(cls, {**data, "schema_version": version})

    @classmethod
    def open(cls, path) -> Result:
        """The manifest at ``path``, confined like its entries: a symbolic link that leads out
        of the folder it is in is refused (``FormatError``), never read."""
        folder = Path(path).parent.resolve()
        if folder not in Path(path).resolve().parents:
            raise FormatError(f"{Path(path).name}: outside the results directory")
        result = super().open(path)
        result.directory = folder
        tags = ArtifactName.parse(Path(path).name).tags
        result.host_label = tags[0] if tags else ""
        return result

    # -- where things go ---------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self._dir / Result.filename(tags=(self.host_label,) if self.host_label else (),
                                           time=self.start_time)

    @property
    def _dir(self) -> Path:
        if self.directory is None:
            raise ValueError("this Result has no results directory")
        return self.directory

    def inside(self, path: str | Path) -> Path:
        """``path`` (relative to the results directory, as the manifest lists it) resolved, and
        refused when it leads outside the directory: a manifest from elsewhere may name
        ``../../etc/passwd``, an absolute path or a symbolic link out. (The error is the
        reason only: callers name the path as the manifest lists it.)"""
        root = self._dir.resolve()
        resolved = (root / path).resolve()
        if root not in resolved.parents:
            raise FormatError("outside the results directory")
        return resolved

    def relative(self, path: str | Path) -> str:
        return Path(path).resolve().relative_to(self._dir.resolve()).as_posix()

    def new_path(self, classname: str, *, tags: tuple | list = (), fmt: Format,
                 subdir: str = "") -> Path:
        """A fresh, unused artifact path (for files written by other tools: plots, reports).
        A second artifact with the same class, tags and second gets a counter tag."""
        folder = self._dir / subdir
        now = Timestamp.now()
        with self._lock:
            for counter in range(1, 10_000):
                extra = (str(counter),) if counter > 1 else ()
                path = folder / ArtifactName(classname, (*tags, *extra), now, fmt).filename
                if not path.exists() and self.relative(path) not in self.files:
                    return path
        raise FileExistsError(f"no free artifact name for {classname} in {folder}")

    # -- recording ---------------------------------------------------------------------------
    def add(self, artifact: Artifact, *, test_id: str | None = None, tags: tuple | list = (),
            fmt: Format | None = None, subdir: str = "", classname: str | None = None) -> Path:
        """Save ``artifact`` under a new tagged name, record it, and re-save the manifest.
        ``classname`` names the file after the model a rendering shows (a ``Figure`` plotting
        a ``Hist`` is saved as ``Hist-<tags>-<stamp>.png``)."""
        fmt = fmt or artifact.default_format
        classname = classname or type(artifact).__name__
        with self._lock:
            path = self.new_path(classname, tags=tags, fmt=fmt, subdir=subdir)
            artifact.save(path)
            return self.record(path, classname=classname, test_id=test_id)

    def record(self, path: str | Path, *, classname: str | None, test_id: str | None = None) -> Path:
        """Record a file that is already inside the results directory."""
        path = Path(path)
        if not path.is_absolute():
            path = self._dir / path
        with self._lock:
            self.files[self.relative(path)] = FileMeta(classname=classname, test_id=test_id)
            self.save_manifest()
        return path

    def copy_in(self, source: str | Path, *, classname: str | None, tags: tuple | list = (),
                test_id: str | None = None, subdir: str = "") -> Path:
        fmt = Format.of_path(source)
        path = self.new_path(classname or "File", tags=tags, fmt=fmt, subdir=subdir)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        return self.record(path, classname=classname, test_id=test_id)

    def files_of(self, classname: str, *, test_id: str | None = None) -> list[Path]:
        return [self._dir / rel for rel, meta in sorted(self.files.items())
                if meta.classname == classname and (test_id is None or meta.test_id == test_id)]

    def save_manifest(self) -> Path:
        with self._lock:
            path = self.manifest_path
            write_atomic(path, self.to_bytes(Format.JSON), replace=True)
            return path
