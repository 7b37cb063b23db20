"""Reading a results directory back for the reports: the manifest, then each artifact a report
uses, opened by the classname the manifest (or, failing that, its file name) gives it. Nothing
comes from the machine that made the run, so a directory copied elsewhere reports the same.

Which artifact classes a report reads, and where it keeps them, is what the test kinds declare
(``daist.framework.kinds``: ``Artifact``), plus the shared ones read here (the settings, the
target's evidence); classes without a keeper of their own land in
``RunData.artifacts[classname][test key]``.

A file that cannot be read (missing, truncated, malformed, of an unknown class) is skipped and
named in ``RunData.skipped`` with the reason; only an unusable directory is an error. A
malformed manifest is skipped too: the artifacts are then found by their file names."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from daist.framework.errors import DaistError
from daist.framework.kinds import KINDS, Artifact as Declared
from daist.models.base import (DATA_FORMATS, Artifact, ArtifactName, Figure, Format,
                               open_artifact, refusal)
from daist.models.config import ConfigFile
from daist.models.evidence import ProfileTop, ServerTiming, SqlStatements
from daist.models.limits import Limits
from daist.models.locust import LocustStatsList
from daist.models.metric_latency import MetricLatencyOpHist
from daist.models.result import FileMeta, Result, test_key

MANIFEST_GLOB = "Result-*.json"


class RunLoadError(DaistError):
    """The path is not a readable daist results directory."""

    exit_status = 2


@dataclass
class LocustTest:
    key: str
    test_id: str
    file: str
    stats: LocustStatsList


@dataclass
class MetricTest:
    key: str
    test_id: str
    file: str
    op_hist: MetricLatencyOpHist


@dataclass
class Loaded:
    """One artifact a report reads, with the test it belongs to."""

    key: str
    test_id: str
    file: str
    artifact: Any


@dataclass
class SavedFigure:
    key: str
    file: str
    classname: str
    tags: tuple[str, ...]
    figure: Figure


@dataclass
class RunData:
    directory: Path
    result: Result
    locust: dict[str, LocustTest] = field(default_factory=dict)
    metrics: dict[str, MetricTest] = field(default_factory=dict)
    figures: list[SavedFigure] = field(default_factory=list)
    artifacts: dict[str, dict[str, Loaded]] = field(default_factory=dict)
    """Every other declared class: classname -> test key -> what was read."""
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    """The run's effective settings (its ``ConfigFile``), section -> key -> text."""
    skipped: list[str] = field(default_factory=list)
    """``<file>: <reason>`` for every file that could not be read."""
    manifest_readable: bool = True
    """False: ``result`` was rebuilt from the file names (no verdicts, nothing to record in)."""

    def setting(self, section: str, key: str) -> str | None:
        return self.settings.get(section, {}).get(key)

    @property
    def target_scale(self) -> int | None:
        """Experiments seeded in a stand-in target, when the run recorded it."""
        recorded = self.result.metadata.get("standin_scale")
        if recorded is None and self.result.system == "standin" \
                and self.setting("determined", "DET_MASTER") == "":
            recorded = self.setting("standin", "scale")  # the embedded stand-in used this
        try:
            return int(recorded) if recorded is not None else None
        except (TypeError, ValueError):
            return None

    def figures_of(self, key: str) -> list[SavedFigure]:
        return [f for f in self.figures if f.key == key]

    def artifact_of(self, cls: type, key: str) -> Any | None:
        """The test's artifact of a class kept by test (``None`` when the run has none)."""
        item = self.artifacts.get(cls.__name__, {}).get(key)
        return item.artifact if item is not None else None


def readers() -> dict[str, Declared]:
    """Artifact classname -> how a report reads and keeps it: the shared classes and every
    declared kind's. Anything else in a run is ignored."""
    return {item.cls.__name__: item for item in (*SHARED, *KINDS.artifacts())}


def find_manifest(path: Path) -> Path:
    if path.is_file():
        return path
    _check_directory(path)
    manifests = sorted(path.glob(MANIFEST_GLOB))
    if len(manifests) > 1:
        raise RunLoadError(f"{path} holds {len(manifests)} manifests ({', '.join(m.name for m in manifests)}): "
                           "name the one to read")
    if not manifests:
        if any(path.glob("*/" + MANIFEST_GLOB)) or any(path.glob("*/*/" + MANIFEST_GLOB)):
            raise RunLoadError(f"{path} is a results root, not one run: name a run directory "
                               "below it (<host>/<stamp>)")
        raise RunLoadError(f"{path} has no {MANIFEST_GLOB} manifest: not a daist results directory")
    return manifests[0]


def load_run(path: str | Path, *, figures: bool = True, result: Result | None = None) -> RunData:
    """Everything the summary, the HTML page and ``compare`` need from one results directory
    (a directory, or its manifest file). ``figures=False`` skips the PNGs (compare).
    ``result``: the run's manifest when the caller holds it (the session at the end of its
    run), so it is not read back; ``path`` is then the directory."""
    skipped: list[str] = []
    readable = True
    if result is not None:
        _check_directory(Path(path))
        directory = Path(path).resolve()
    else:
        manifest = find_manifest(Path(path))
        directory = manifest.parent.resolve()
        try:
            result = Result.open(manifest)
        except Exception as exc:  # whatever is wrong with it, the artifacts may still be readable
            skipped.append(f"{manifest.name}: {_reason(exc, manifest.name)}; the artifacts were "
                           "found by file name")
            result, readable = _result_from_names(directory, skipped), False
    run = RunData(directory=directory, result=result, skipped=skipped, manifest_readable=readable)
    known = readers()
    for rel, meta in sorted(result.files.items()):
        _load_file(run, rel, meta, figures=figures, readers=known)
    return run


def _check_directory(path: Path) -> None:
    if not path.is_dir():
        raise RunLoadError(f"{path}: no such results directory")


def _load_file(run: RunData, rel: str, meta: FileMeta, *, figures: bool,
               readers: dict[str, Declared]) -> None:
    classname = meta.classname
    if not classname:
        return  # a log: nothing a report reads
    try:
        path = run.result.inside(rel)
    except ValueError as exc:
        run.skipped.append(f"{rel}: {exc}")
        return
    try:
        name = ArtifactName.parse(rel)
    except ValueError as exc:  # a refused format (a pickle) or no artifact name
        run.skipped.append(f"{rel}: {_reason(exc, path.name)}")
        return
    reader = readers.get(classname)
    wanted = (figures and name.format is Format.PNG) or (
        reader is not None and name.format in reader.formats)
    if not wanted:
        return
    if not path.is_file():
        run.skipped.append(f"{rel}: missing")
        return
    try:  # a declared class opens its own files: it may live in its kind's room
        own = reader is not None and name.format in reader.formats & reader.cls.formats
        artifact = reader.cls.open(path) if own else open_artifact(path)
    except Exception as exc:  # any unreadable file is skipped, never the whole report
        run.skipped.append(f"{rel}: {_reason(exc, path.name)}")
        return
    _keep(run, rel, meta, name, artifact, reader)


def _keep(run: RunData, rel: str, meta: FileMeta, name: ArtifactName, artifact: Artifact,
          reader: Declared | None) -> None:
    test_id = meta.test_id or (name.tags[0] if name.tags else "")
    item = Loaded(test_key(test_id), test_id, rel, artifact)
    if isinstance(artifact, Figure):
        run.figures.append(SavedFigure(key=item.key, file=rel, classname=meta.classname or "",
                                       tags=name.tags[1:], figure=artifact))
        return
    assert reader is not None  # only figures are read without a declaration
    if not isinstance(artifact, reader.cls):
        run.skipped.append(f"{rel}: holds a {type(artifact).__name__}, not a {meta.classname}")
        return
    (reader.keep or _keep_by_test)(run, item)


def keep_load_test(run: RunData, item: Loaded) -> None:
    """The load test's statistics, in ``RunData.locust``."""
    run.locust[_free_key(run.locust, item.key)] = LocustTest(item.key, item.test_id, item.file,
                                                             item.artifact)


def keep_metric_test(run: RunData, item: Loaded) -> None:
    """The metric test's histograms, in ``RunData.metrics``."""
    run.metrics[_free_key(run.metrics, item.key)] = MetricTest(item.key, item.test_id, item.file,
                                                               item.artifact)


def _keep_settings(run: RunData, item: Loaded) -> None:
    run.settings = item.artifact.sections


def _keep_by_test(run: RunData, item: Loaded) -> None:
    kept = run.artifacts.setdefault(type(item.artifact).__name__, {})
    kept[_free_key(kept, item.key)] = item


SHARED = (Declared(ConfigFile, formats=frozenset(Format), keep=_keep_settings),
          *(Declared(evidence) for evidence in (ServerTiming, SqlStatements, ProfileTop, Limits)))
"""Read for every kind: the run's settings, and per test the target's own evidence and the
limits the test was judged by."""


def _free_key(taken: dict[str, Any], key: str) -> str:
    """A second data file of one test (unusual) is kept as ``key#2``."""
    if key not in taken:
        return key
    counter = 2
    while f"{key}#{counter}" in taken:
        counter += 1
    return f"{key}#{counter}"


def _result_from_names(directory: Path, skipped: list[str]) -> Result:
    """A manifest rebuilt from the file names alone: classnames and test tags, no verdicts.
    A file of a refused format (a pickle) is named in ``skipped``."""
    result = Result(directory=directory)
    result.outcome.status = "unknown"
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        refused = refusal(path)
        if refused:
            skipped.append(f"{path.name}: {refused}")
            continue
        try:
            name = ArtifactName.parse(path.name)
        except ValueError:
            continue
        if name.classname == Result.__name__:
            continue
        test_id = name.tags[0] if name.tags and "." in name.tags[0] else None
        result.files[path.name] = FileMeta(classname=name.classname, test_id=test_id)
    return result


def _reason(exc: BaseException, name: str) -> str:
    """The error in one line, without the file name the models' errors start with."""
    text = " ".join(str(exc).split())
    for prefix in (f"{name}: ", f"{name} "):
        text = text[len(prefix):] if text.startswith(prefix) else text
    return text[:300] if text else type(exc).__name__
