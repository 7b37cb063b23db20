"""Every environment variable daist reads, enumerated from the setting declarations plus the
few that are not settings. ``snapshot()`` is what a manifest records: the non-secret ones set."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from daist.models.config import SECTIONS, env_name, knobs
from daist.models.redaction import redact_urls, url_without_credentials

URL_VARIABLES = frozenset({"DET_MASTER"})
"""Variables holding a URL, which may carry credentials (``http://user:pass@host``)."""


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


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """The secrets these variables hold: the secret variables' values and the passwords inside
    URLs (``DET_MASTER=http://user:pass@host``), for redaction."""
    values = [environ.get(name, "") for name in sorted(secret_names())]
    for name in sorted(URL_VARIABLES & environ.keys()):
        try:
            password = urlsplit(environ[name].strip()).password or ""
        except ValueError:  # not a URL: the setting's parser says so
            continue
        values += [password, unquote(password)]
    return [v for v in values if v]


def snapshot(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a manifest records: the non-secret variables daist reads that are set, with any
    credentials inside a URL replaced."""
    environ = os.environ if environ is None else environ
    return {v.name: redact_urls(environ[v.name]) for v in variables()
            if not v.secret and v.name in environ}


def child_environ(environ: Mapping[str, str] | None = None, *,
                  keep: Iterable[str] = ()) -> dict[str, str]:
    """The environment for a process daist starts: without the secret variables (except those
    in ``keep``, which the child needs) and without credentials inside URL variables."""
    environ = os.environ if environ is None else environ
    dropped = secret_names() - set(keep)
    child = {name: value for name, value in environ.items() if name not in dropped}
    for name in URL_VARIABLES & child.keys():
        child[name] = url_without_credentials(child[name])
    return child
