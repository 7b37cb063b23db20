"""The system under test: the configured master, or the embedded stand-in started for the run."""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from daist.framework.master_client import MasterClient
from daist.framework.errors import ConfigError, TargetError
from daist.framework.log import get_logger
from daist.framework.settings import Settings

STANDIN_LABEL = "standin"
log = get_logger("target")


@dataclass
class Target:
    url: str
    system: str
    """Results label: 'standin' for any stand-in master, else [determined] system or the host."""
    is_standin: bool
    embedded: bool
    server_version: str = ""
    cluster_name: str = ""
    standin: dict[str, Any] = field(default_factory=dict)
    """For a stand-in: its /standin/health facts (scale, seed, faults...), which shape results."""
    process: Any = None
    """The embedded stand-in's ``StandinProcess`` (stopped by ``close``)."""

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


@dataclass(frozen=True)
class StandinLauncher:
    """How to run an embedded stand-in master, handed down by the composition root
    (``daist.app``) so that framework never imports the stand-in."""

    start: Callable[[Settings, Path | None], tuple[Any, str]]
    """``start(settings, log_path)`` -> (a process with ``stop()``, its URL); raises
    ``TargetError`` when it does not serve."""
    cluster_name: str
    """The ``clusterName`` every stand-in master reports: how a stand-in is recognised."""


def host_label(settings: Settings) -> str:
    """The ``<host>`` folder of the results directory, known before the target is contacted."""
    master = settings.determined.DET_MASTER
    return urlsplit(master).hostname or master if master else STANDIN_LABEL


def open_target(settings: Settings, *, standin: StandinLauncher | None = None,
                standin_log: Path | None = None) -> Target:
    """Start the embedded stand-in when no master is configured, then check the master answers
    and accepts the configured credentials, so a wrong URL or password fails before any load."""
    configured = settings.determined.DET_MASTER
    process = None
    if configured:
        url = configured
    elif standin is None:
        raise ConfigError("no master configured (DET_MASTER) and no stand-in to start")
    else:
        log.info("starting the embedded stand-in master (scale %d)", settings.standin.scale)
        process, url = standin.start(settings, standin_log)
        log.info("stand-in master serving at %s", url)
    try:
        target = _probe(settings, url, standin_name=standin.cluster_name if standin else None)
    except BaseException:
        if process is not None:
            process.stop()
        raise
    target.embedded = process is not None
    target.process = process
    return target


def fault_options(text: str) -> list[tuple[str, str]]:
    """``'--latency 20@/x --error-rate=0.1'`` -> ``[('--latency', '20@/x'), ('--error-rate',
    '0.1')]``: one (option, value) per fault, as the stand-in's launcher takes them."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"[standin] faults: cannot split {text!r}: {exc}") from None
    options: list[tuple[str, str]] = []
    while tokens:
        option = tokens.pop(0)
        if not option.startswith("--"):
            raise ConfigError(f"[standin] faults: expected an option such as --latency, not {option!r}")
        name, sep, value = option.partition("=")
        if not sep:
            if not tokens or tokens[0].startswith("--"):
                raise ConfigError(f"[standin] faults: {option} needs a value")
            value = tokens.pop(0)
        options.append((name, value))
    return options


def _probe(settings: Settings, url: str, *, standin_name: str | None) -> Target:
    with MasterClient(url) as api:
        info = api.get("/api/v1/master")
        api.login(settings.determined.DET_USER, settings.determined.DET_PASSWORD.reveal())
        cluster_name = str(info.get("clusterName", ""))
        is_standin = standin_name is not None and cluster_name == standin_name
        standin = _standin_facts(api) if is_standin else {}
    system = STANDIN_LABEL if is_standin else (settings.determined.system or urlsplit(url).hostname or url)
    if is_standin and settings.determined.DET_MASTER:
        log.warning("%s is a daist stand-in master, not a Determined cluster: results are "
                    "labelled system: standin", url)
    return Target(url=url, system=system, is_standin=is_standin, embedded=False,
                  server_version=str(info.get("version", "")), cluster_name=cluster_name,
                  standin=standin)


def _standin_facts(api: MasterClient) -> dict[str, Any]:
    """The stand-in's data scale, seed and active faults: a run against scale 100 and one
    against scale 10,000 measure different things, so comparisons need them."""
    try:
        health = api.get("/standin/health")
        faults = api.get("/standin/faults")
    except TargetError as exc:
        log.warning("the stand-in did not describe itself: %s", exc)
        return {}
    facts = {key: health[key] for key in ("scale", "seed") if key in health}
    facts["faults"] = faults.get("rules", faults) if isinstance(faults, dict) else faults
    return facts
