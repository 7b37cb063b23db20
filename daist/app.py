"""The composition root of daist: the one place that knows every room. It declares the test
kinds (one line each: ``KINDS.declare``) for every program that reads results (``python -m
daist``, ``daist report``, ``daist db``), and hands framework what lives above it: the stand-in
launcher and the listeners of the run's events (each kind's settings checks, the end-of-test
upload, the end-of-run report, the Markdown summary), so ``daist.framework`` imports only
``daist.models``, as Locust's ``Environment`` is handed its runner and events."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from daist.db.upload import LiveUploads
from daist.framework import main as cli
from daist.framework.errors import ConfigError, TargetError
from daist.framework.events import Events
from daist.framework.kinds import KINDS
from daist.framework.log import get_logger
from daist.framework.pipes import quiet_on_closed_pipe
from daist.framework.settings import Settings
from daist.framework.target import StandinLauncher, fault_options
from daist.metrics.kind import METRIC_TEST
from daist.models import environment
from daist.report.hook import write_run_markdown, write_run_report
from daist.rest_api.kind import LOAD_TEST

log = get_logger("app")


def start_standin(settings: Settings, log_path: Path | None) -> tuple[Any, str]:
    from daist.standin.launcher import StandinError, StandinProcess

    password = settings.determined.DET_PASSWORD.reveal()
    process = StandinProcess(scale=settings.standin.scale, seed=settings.standin.seed,
                             rbac=settings.standin.rbac,
                             faults=fault_options(settings.standin.faults), log_path=log_path,
                             passwords={settings.determined.DET_USER: password} if password else None,
                             environ=environment.child_environ())
    try:
        return process, process.start()
    except StandinError as exc:
        raise TargetError(f"the embedded stand-in master did not start: {exc}") from None


def standin_launcher() -> StandinLauncher:
    from daist.standin.launcher import STANDIN_CLUSTER_NAME  # stdlib-only module: cheap

    return StandinLauncher(start=start_standin, cluster_name=STANDIN_CLUSTER_NAME)


def check_settings(settings: Settings) -> None:
    """Every declared kind's settings, checked before anything starts (a bad ``[metrics] slo``
    must not surface hours into a run). Raises ``ConfigError``."""
    for kind in KINDS:
        if kind.check is not None:
            kind.check(settings)
    check_faults(settings.standin.faults)


def check_faults(text: str) -> None:
    """``[standin] faults`` by the stand-in's own grammar (its regexes by RE2, as the stand-in
    will compile them), so a bad rule is a ConfigError before anything starts."""
    from daist.standin.faults.spec import FaultSpecError, parse_option

    for option, value in fault_options(text):
        try:
            parse_option(option, value)
        except FaultSpecError as exc:
            raise ConfigError(f"[standin] faults: {exc}") from None


KINDS.declare(LOAD_TEST)    # daist/rest_api: the load test (capacity and volume are modes of it)
KINDS.declare(METRIC_TEST)  # daist/metrics: the metric-latency test


def listen(events: Events) -> Events:
    """Adds what daist does at each event of a run to ``events`` (a fresh object per use)."""
    uploads = LiveUploads()
    events.check_settings.add_listener(check_settings)
    events.test_stop.add_listener(uploads.upload_test)  # when a database is configured
    events.run_stop.add_listener(write_run_report)
    events.run_stop.add_listener(uploads.finish)
    events.summary_md.add_listener(write_run_markdown)
    return events


EVENTS = listen(Events())


@quiet_on_closed_pipe
def main(argv: list[str] | None = None, *, prog: str = "python -m daist") -> int:
    return cli.main(argv, events=EVENTS, standin=standin_launcher(), prog=prog)
