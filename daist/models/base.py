"""The serializer base: every artifact type saves and opens itself, its file suffix picks the
``Format``, and its file name carries the classname so any artifact can be loaded back by name.

File names: ``<ClassName>-<tag>-<tag>...-<UTC path stamp>.<ext>``, e.g.
``LocustStatsList-TestRO.test-2024-07-29T18-49-42Z.json``. Zero or more tags.
"""
from __future__ import annotations

import csv
import dataclasses
import enum
import importlib
import io
import json
import os
import pkgutil
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from daist.models import serde
from daist.models.timestamp import PATH_STAMP_PATTERN, Timestamp


class FormatError(ValueError):
    """A file cannot be read or written in the requested format."""


class Format(enum.Enum):
    JSON = "json"
    YAML = "yaml"
    TXT = "txt"
    PNG = "png"
    CONF = "conf"
    CSV = "csv"
    HTML = "html"
    PPROF = "pprof"
    """A CPU profile as the master serves it (gzipped protobuf; ``go tool pprof`` opens it)."""

    @property
    def suffix(self) -> str:
        return "." + self.value

    @classmethod
    def of_path(cls, path: str | os.PathLike) -> Format:
        refused = refusal(path)
        if refused:
            raise FormatError(f"{Path(path).name}: {refused}")
        suffix = Path(path).suffix.lower().lstrip(".")
        if suffix == "yml":
            return cls.YAML
        try:
            return cls(suffix)
        except ValueError:
            known = ", ".join(f.suffix for f in cls)
            raise FormatError(f"{Path(path).name}: unknown suffix {suffix!r} (known: {known})") from None


PICKLE_SUFFIXES = frozenset({".pkl", ".pickle"})


def refusal(path: str | os.PathLike) -> str | None:
    """Why daist never reads this file, or None. Results directories come from anywhere, and
    loading a pickle runs whatever code its author put in it."""
    if Path(path).suffix.lower() in PICKLE_SUFFIXES:
        return "a pickle: never read (unpickling runs code from the file)"
    return None


DATA_FORMATS = frozenset({Format.JSON, Format.YAML})
MAX_ARTIFACT_BYTES = 64 * 2**20
"""Largest file ``Artifact.open`` reads: a results directory may come from another machine."""
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.+=,]")
_NAME = re.compile(r"^(?P<classname>[A-Za-z_][A-Za-z0-9_]*)(?P<middle>(?:-.+?)??)"
                   r"(?:-(?P<stamp>" + PATH_STAMP_PATTERN.pattern + r"))?\.(?P<ext>[A-Za-z]+)$")


def clean_tag(tag: object) -> str:
    """Tags are joined by '-', so a tag may not contain one (or anything unsafe in a path)."""
    text = _TAG_UNSAFE.sub("_", str(tag))
    if not text:
        raise ValueError("an artifact tag cannot be empty")
    return text


@dataclass(frozen=True)
class ArtifactName:
    """The parts of an artifact file name."""

    classname: str
    tags: tuple[str, ...] = ()
    time: Timestamp | None = None
    format: Format = Format.JSON

    @property
    def filename(self) -> str:
        parts = [self.classname, *(clean_tag(t) for t in self.tags)]
        if self.time is not None:
            parts.append(self.time.path_stamp)
        return "-".join(parts) + self.format.suffix

    @classmethod
    def parse(cls, filename: str) -> ArtifactName:
        match = _NAME.match(Path(filename).name)
        if not match:
            raise FormatError(f"{filename}: not an artifact name (<ClassName>-<tags>-<stamp>.<ext>)")
        middle = match["middle"].lstrip("-")
        stamp = match["stamp"]
        return cls(classname=match["classname"],
                   tags=tuple(middle.split("-")) if middle else (),
                   time=Timestamp.parse(stamp) if stamp else None,
                   format=Format.of_path(filename))


_REGISTRY: dict[str, type[Artifact]] = {}


class Artifact:
    """Base of every saved model. Dataclass subclasses get plain-data (JSON/YAML)
    serialization from their field declarations; text and image formats are opt-in by
    overriding ``to_text``/``from_text`` or ``to_bytes``/``from_bytes`` and ``formats``."""

    formats: ClassVar[frozenset[Format]] = DATA_FORMATS
    default_format: ClassVar[Format] = Format.JSON

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    # -- plain data ------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        if not dataclasses.is_dataclass(self):
            raise FormatError(f"{type(self).__name__} must define to_data()")
        return {f.name: serde.to_data(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.metadata.get("serialize", True)}

    @classmethod
    def from_data(cls, data: Any) -> Artifact:
        return serde.build_dataclass(cls, data)

    # -- text and bytes (opt-in) -----------------------------------------------------------
    def to_text(self, fmt: Format) -> str:
        raise FormatError(f"{type(self).__name__} cannot be written as {fmt.suffix}")

    @classmethod
    def from_text(cls, text: str, fmt: Format) -> Artifact:
        raise FormatError(f"{cls.__name__} cannot be read from {fmt.suffix}")

    def to_bytes(self, fmt: Format) -> bytes:
        if fmt in DATA_FORMATS:
            return _dump_data(type(self).__name__, self.to_data(), fmt)
        return self.to_text(fmt).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes, fmt: Format) -> Artifact:
        if fmt in DATA_FORMATS:
            return cls.from_data(_load_data(cls.__name__, raw, fmt))
        return cls.from_text(raw.decode("utf-8"), fmt)

    # -- files -----------------------------------------------------------------------------
    @classmethod
    def filename(cls, *, tags: tuple | list = (), fmt: Format | None = None,
                 time: Timestamp | None = None) -> str:
        return ArtifactName(cls.__name__, tuple(tags), time or Timestamp.now(),
                            fmt or cls.default_format).filename

    def save(self, path: str | os.PathLike, *, replace: bool = False) -> Path:
        """Write atomically. An existing file is never overwritten unless ``replace``."""
        path = Path(path)
        fmt = Format.of_path(path)
        if fmt not in self.formats:
            raise FormatError(f"{type(self).__name__} cannot be saved as {fmt.suffix} "
                              f"(supported: {', '.join(sorted(f.suffix for f in self.formats))})")
        write_atomic(path, self.to_bytes(fmt), replace=replace)
        return path

    @classmethod
    def open(cls, path: str | os.PathLike) -> Artifact:
        """Read what ``save`` wrote. On the base class, the classname in the file name picks
        the class (see ``open_artifact``)."""
        path = Path(path)
        if cls is Artifact:
            return open_artifact(path)
        fmt = Format.of_path(path)
        if fmt not in cls.formats:
            raise FormatError(f"{path.name}: {cls.__name__} cannot be read from {fmt.suffix}")
        raw = read_capped(path, MAX_ARTIFACT_BYTES)
        try:
            return cls.from_bytes(raw, fmt)
        except FormatError:
            raise
        except (ValueError, KeyError, TypeError, yaml.YAMLError, UnicodeDecodeError) as exc:
            reason = " ".join(str(exc).split())  # YAML errors span lines
            raise FormatError(f"{path.name}: malformed {cls.__name__}: {reason}") from None
        except RecursionError:
            raise FormatError(f"{path.name}: malformed {cls.__name__}: nested too deeply") from None


@dataclass
class TextDocument(Artifact):
    """Any text artifact kept verbatim (logs, reports, tables made by other tools)."""

    formats: ClassVar[frozenset[Format]] = frozenset(
        {Format.TXT, Format.HTML, Format.CSV, Format.CONF} | DATA_FORMATS)
    default_format: ClassVar[Format] = Format.TXT
    text: str = ""

    def to_text(self, fmt: Format) -> str:
        return self.text

    @classmethod
    def from_text(cls, text: str, fmt: Format) -> TextDocument:
        return cls(text=text)


@dataclass
class CsvTable(Artifact):
    """Rows of strings; the first row is the header."""

    formats: ClassVar[frozenset[Format]] = frozenset({Format.CSV} | DATA_FORMATS)
    default_format: ClassVar[Format] = Format.CSV
    rows: list[list[str]] = dataclasses.field(default_factory=list)

    def to_text(self, fmt: Format) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(self.rows)
        return buffer.getvalue()

    @classmethod
    def from_text(cls, text: str, fmt: Format) -> CsvTable:
        return cls(rows=[list(row) for row in csv.reader(io.StringIO(text))])

    def records(self) -> list[dict[str, str]]:
        header, *body = self.rows or [[]]
        return [dict(zip(header, row)) for row in body]


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Figure(Artifact):
    """A PNG image (a plot of some model). Opening checks it really is a PNG."""

    formats: ClassVar[frozenset[Format]] = frozenset({Format.PNG})
    default_format: ClassVar[Format] = Format.PNG
    png: bytes = b""

    def to_bytes(self, fmt: Format) -> bytes:
        return self.png

    @classmethod
    def from_bytes(cls, raw: bytes, fmt: Format) -> Figure:
        if not raw.startswith(PNG_SIGNATURE) or len(raw) < 24:
            raise FormatError("not a PNG image")
        return cls(png=raw)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels, from the IHDR chunk."""
        return int.from_bytes(self.png[16:20], "big"), int.from_bytes(self.png[20:24], "big")

    @classmethod
    def from_matplotlib(cls, figure: Any, **savefig_kwargs: Any) -> Figure:
        """The PNG of a matplotlib figure, its labels drawn as plain text (``figure_text``)."""
        from daist.models.figure_text import plain_labels

        plain_labels(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", **savefig_kwargs)
        return cls(png=buffer.getvalue())


def artifact_class(classname: str) -> type[Artifact]:
    """The class a file name's classname stands for. Imports every ``daist.models`` module on
    a miss, so a results directory loads without the caller knowing its contents."""
    if classname not in _REGISTRY:
        import daist.models as package
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    try:
        return _REGISTRY[classname]
    except KeyError:
        raise FormatError(f"no artifact class named {classname!r}") from None


def open_artifact(path: str | os.PathLike) -> Artifact:
    """Open any artifact by its file name. A format its class does not read (a PNG plot of a
    ``Hist``, a CSV or HTML report) opens as the generic ``Figure``/``CsvTable``/``TextDocument``."""
    path = Path(path)
    name = ArtifactName.parse(path.name)
    cls = artifact_class(name.classname)
    if name.format not in cls.formats:
        cls = {Format.PNG: Figure, Format.CSV: CsvTable}.get(name.format, TextDocument)
    return cls.open(path)


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (never a FIFO or device, which
    could block or never end)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise FormatError(f"{path.name}: not a regular file")
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise FormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise FormatError(f"{path.name}: larger than {limit // 2**20} MiB: not read")
    return raw


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.safe_load`` without anchors and aliases: a few hundred bytes of nested aliases
    expand into a structure every later walk over it takes exponential time for."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "YAML anchors and aliases are refused",
                                              event.start_mark)
        return super().compose_node(parent, index)


class _NoAliasDumper(yaml.SafeDumper):
    """Writes shared objects out in full, so what daist saves is what it can read back."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def load_yaml(raw: bytes | str) -> Any:
    return yaml.load(raw, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def write_atomic(path: Path, payload: bytes, *, replace: bool = False) -> None:
    """Write to a temporary sibling, then rename into place: readers never see half a file.
    Without ``replace`` an existing file raises ``FileExistsError`` (hard link: atomic no-clobber)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:  # the temporary file goes on any error (a full disk must not leave it behind)
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _dump_data(classname: str, data: Any, fmt: Format) -> bytes:
    if isinstance(data, dict):
        data = {"classname": classname, **{k: v for k, v in data.items() if k != "classname"}}
    if fmt is Format.JSON:
        return (json.dumps(data, indent=2, allow_nan=True) + "\n").encode()
    return yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True).encode()


def _load_data(classname: str, raw: bytes, fmt: Format) -> Any:
    if fmt is Format.JSON:
        data = json.loads(raw)
    else:
        data = load_yaml(raw)
    if isinstance(data, dict) and data.get("classname", classname) != classname:
        raise FormatError(f"file holds a {data['classname']}, not a {classname}")
    return data
