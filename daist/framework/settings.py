"""Build the run's ``Settings`` once: declared defaults < config file < environment variables.

Every problem becomes one ``ConfigError`` line that names the key and where its value came from
(``config.conf [locust] users`` or ``environment variable DAIST_LOCUST_USERS``), with a
"did you mean" for near-miss keys. Secrets stay in memory as ``Secret`` values.
"""
from __future__ import annotations

import configparser
import dataclasses
import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from daist.framework import paths
from daist.framework.errors import ConfigError
from daist.models.config import (PROFILE_PREFIX, SECTIONS, CapacitySettings, ConfigFile,
                                 DbSettings, DeterminedSettings, EvidenceSettings, ExecSettings,
                                 LocustSettings, LogSettings, MetricsSettings, ReportSettings,
                                 Secret, StandinSettings, VolumeSettings, env_name, knobs,
                                 render_value)
from daist.models.redaction import REDACTED, redact_urls

CONFIG_ENV = "DAIST_CONFIG"
MAX_CONFIG_BYTES = 256 * 1024
AUTODISCOVER = "autodiscover"
WORKER_STALL_ENV = "DAIST_FAULT_WORKER_STALL_S"
"""A test fault (daist.engine.worker): a local worker blocks its event loop this long, once."""
INTERNAL_ENV = frozenset({CONFIG_ENV, "DAIST_VERBOSE", "DAIST_NO_UV", WORKER_STALL_ENV})
"""DAIST_* variables that are not settings and must not trip the unknown-variable check."""
RETIRED = {("metrics", "generator_processes"):
           "[locust] workers (DAIST_LOCUST_WORKERS): the unmanaged trials run on Locust's "
           "workers, as the load tests do (docs/distributed.md)"}
"""Settings that are gone -> what replaces them (named in the one-line error)."""


@dataclass(frozen=True)
class Settings:
    determined: DeterminedSettings = field(default_factory=DeterminedSettings)
    exec: ExecSettings = field(default_factory=ExecSettings)
    log: LogSettings = field(default_factory=LogSettings)
    standin: StandinSettings = field(default_factory=StandinSettings)
    locust: LocustSettings = field(default_factory=LocustSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    db: DbSettings = field(default_factory=DbSettings)
    volume: VolumeSettings = field(default_factory=VolumeSettings)
    capacity: CapacitySettings = field(default_factory=CapacitySettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    profiles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Fixed resource profiles: ``[profile.NAME]`` sections of the config file."""
    config_path: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    """'section.key' -> where the value came from, for keys not left at their default."""

    def secrets(self) -> list[str]:
        """Every secret value in play (non-empty), for redaction filters."""
        values = [self.determined.DET_PASSWORD.reveal(), self.db.PERF_RESULT_DB_PASS.reveal(),
                  self.evidence.DET_DB_PASSWORD.reveal()]
        return [v for v in values if v]

    def to_config_file(self) -> ConfigFile:
        """The redacted, effective configuration, with each value's source as a comment."""
        sections = {}
        for section_cls in SECTIONS:
            values = getattr(self, section_cls.section)
            sections[section_cls.section] = {
                f.name: render_value(getattr(values, f.name)) for f, _ in knobs(section_cls)}
        for name, values in self.profiles.items():
            sections[PROFILE_PREFIX + name] = dict(values)
        return ConfigFile(sections=sections, comments=dict(self.sources))

    @property
    def results_root(self) -> Path:
        """Where runs go: ``<root>/<host>/<UTC stamp>/``; a relative ``output`` is taken from
        the working directory once, here (the run's paths must not depend on it later)."""
        output = self.exec.output
        return Path(output).expanduser().absolute() if output else paths.default_results_root()

    @property
    def digest(self) -> str:
        """A hash of every non-secret value: equal digests mean identically configured runs."""
        values = {f"{section_cls.section}.{f.name}": render_value(getattr(getattr(self, section_cls.section), f.name))
                  for section_cls in SECTIONS for f, meta in knobs(section_cls) if not meta.secret}
        text = json.dumps([values, self.profiles], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_settings(*, environ: Mapping[str, str] | None = None,
                  config_path: str | os.PathLike | None = None,
                  options: Mapping[str, tuple[str, str]] | None = None) -> Settings:
    """``options`` are command-line values, ``'section.key' -> (raw value, option name)``:
    they win over the environment, as Locust's own flags do."""
    environ = os.environ if environ is None else environ
    options = options or {}
    path, path_source = _config_path(environ, config_path)
    parser = _read_ini(path, path_source)
    _check_sections(parser, path)
    _check_env_names(environ)
    sources: dict[str, str] = {}
    sections = {}
    for section_cls in SECTIONS:
        file_values = dict(parser[section_cls.section]) if parser.has_section(section_cls.section) else {}
        sections[section_cls.section] = _load_section(section_cls, file_values, environ, path, sources,
                                                     options)
    profiles = {name[len(PROFILE_PREFIX):]: dict(parser[name])
                for name in parser.sections() if name.startswith(PROFILE_PREFIX)}
    settings = Settings(**sections, profiles=profiles, config_path=path, sources=sources)
    _check_profile(settings)
    return settings


def _config_path(environ: Mapping[str, str], explicit) -> tuple[Path, str]:
    if explicit:
        return Path(explicit), "--config"
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]), f"environment variable {CONFIG_ENV}"
    return paths.DEFAULT_CONFIG, "the packaged default"


def _read_ini(path: Path, source: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    try:
        parser.read_string(_config_text(path, source), source=str(path))
    except configparser.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise ConfigError(f"config file {path} is not valid INI: {first_line}") from None
    return parser


def _config_text(path: Path, source: str) -> str:
    """The file's text: at most ``MAX_CONFIG_BYTES`` (``/dev/zero`` must not be read forever),
    UTF-8 with or without a byte-order mark, and no binary."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} (from {source}) does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is larger than {MAX_CONFIG_BYTES // 1024} KiB: "
                          "not a daist config file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} "
                          f"at offset {exc.start}); save it as UTF-8") from None
    if "\0" in text:
        raise ConfigError(f"config file {path} is binary (it holds NUL bytes), not an INI file")
    return text


def _check_profile(settings: Settings) -> None:
    name = settings.determined.RESOURCE_PROFILE
    if name != AUTODISCOVER and name not in settings.profiles:
        known = [AUTODISCOVER, *sorted(settings.profiles)]
        source = settings.sources.get("determined.RESOURCE_PROFILE", "[determined] RESOURCE_PROFILE")
        raise ConfigError(f"{source}: no [profile.{name}] section{_did_you_mean(name, known)} "
                          f"(known: {', '.join(known)})")


def _check_sections(parser: configparser.ConfigParser, path: Path) -> None:
    known = [s.section for s in SECTIONS]
    for name in parser.sections():
        if name not in known and not name.startswith(PROFILE_PREFIX):
            raise ConfigError(f"{path}: unknown section [{name}]{_did_you_mean(name, known, '[{}]')}")


def _check_env_names(environ: Mapping[str, str]) -> None:
    known = {env_name(s, f) for s in SECTIONS for f, _ in knobs(s)}
    retired = {f"DAIST_{section}_{key}".upper(): (section, key) for section, key in RETIRED}
    for name in environ:
        if name in retired:
            section, key = retired[name]
            raise ConfigError(f"environment variable {name} ([{section}] {key}) is retired: use "
                              f"{RETIRED[section, key]}")
        if name.startswith("DAIST_") and name not in known and name not in INTERNAL_ENV:
            raise ConfigError(f"unknown environment variable {name}{_did_you_mean(name, known)}")


def _load_section(section_cls: type, file_values: dict[str, str], environ: Mapping[str, str],
                  path: Path, sources: dict[str, str],
                  options: Mapping[str, tuple[str, str]]) -> Any:
    names = [f.name for f, _ in knobs(section_cls)]
    for key in file_values:
        if (section_cls.section, key) in RETIRED:
            raise ConfigError(f"{path}: [{section_cls.section}] {key} is retired: use "
                              f"{RETIRED[section_cls.section, key]}")
        if key not in names:
            raise ConfigError(f"{path}: [{section_cls.section}] unknown key {key!r}"
                              + _did_you_mean(key, names, "'{}'"))
    values = {}
    for f, meta in knobs(section_cls):
        variable = env_name(section_cls, f)
        raw, source = None, None
        if f.name in file_values:
            if meta.env_only:
                raise ConfigError(f"{path}: [{section_cls.section}] {f.name} may only be set "
                                  f"through the environment variable {variable}")
            raw, source = file_values[f.name], f"{path.name} [{section_cls.section}] {f.name}"
        if environ.get(variable, "") != "" or (meta.empty_is_value and variable in environ):
            raw, source = environ[variable], f"environment variable {variable}"
        if f"{section_cls.section}.{f.name}" in options:
            raw, option = options[f"{section_cls.section}.{f.name}"]
            source = f"option {option}"
        if raw is None:
            continue
        try:
            values[f.name] = meta.parse(raw)
        except ValueError as exc:
            shown = REDACTED if meta.secret else repr(redact_urls(raw))
            raise ConfigError(f"{source}: bad value {shown}: {exc}") from None
        sources[f"{section_cls.section}.{f.name}"] = source
    return section_cls(**values)


def _did_you_mean(name: str, options, fmt: str = "{}") -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f" (did you mean {fmt.format(close[0])}?)" if close else ""


def settings_table() -> list[tuple[str, str, str, str]]:
    """(key, environment variable, default, meaning) for every setting, for docs and --help."""
    rows = []
    for section_cls in SECTIONS:
        defaults = section_cls()
        for f, meta in knobs(section_cls):
            rows.append((f"[{section_cls.section}] {f.name}", env_name(section_cls, f),
                         render_value(getattr(defaults, f.name)) if not meta.secret else "",
                         meta.help))
    return rows


def replace(settings: Settings, **sections: Any) -> Settings:
    """A copy with some section values changed, e.g. ``replace(s, locust={'users': 2})``."""
    changes = {name: dataclasses.replace(getattr(settings, name), **values)
               for name, values in sections.items()}
    return dataclasses.replace(settings, **changes)


__all__ = ["Settings", "load_settings", "settings_table", "replace", "Secret", "ConfigError"]
