"""Every environment variable daist reads, enumerated from the setting declarations plus the
few that are not settings. ``snapshot()`` is what a manifest records: the non-secret ones set."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from daist.models.config import SECTIONS, env_name, knobs


@dataclass(frozen=True)
class EnvironmentVariable:
    name: str
    help: str
    secret: bool = False
    setting: str | None = None
    """``[section] key`` when the variable overrides a config-file setting."""


EXTRA = (
    EnvironmentVariable("DAIST_CONFIG", "Path of the config file to use instead of "
                        "daist/config.d/config.conf."),
    EnvironmentVariable("GIT_BRANCH", "Branch recorded with results (else asked from git)."),
    EnvironmentVariable("GIT_COMMIT", "Commit recorded with results (else asked from git)."),
    EnvironmentVariable("PGPASSWORD", "Fallback password of the perf-results database.",
                        secret=True),
)


def variables() -> list[EnvironmentVariable]:
    found = [EnvironmentVariable(env_name(section, f), meta.help, meta.secret,
                                 f"[{section.section}] {f.name}")
             for section in SECTIONS for f, meta in knobs(section)]
    return found + list(EXTRA)


def secret_names() -> frozenset[str]:
    return frozenset(v.name for v in variables() if v.secret)


def snapshot(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    environ = os.environ if environ is None else environ
    return {v.name: environ[v.name] for v in variables()
            if not v.secret and v.name in environ}
