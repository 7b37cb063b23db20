"""The composition root of ``python -m daist``: the one place that knows every room. It hands
framework what lives above it (the stand-in launcher, the end-of-test upload, the end-of-run
report, the checks of settings whose grammar belongs to a test package), so ``daist.framework``
imports only ``daist.models``, as Locust's ``Environment`` is handed its runner and events."""
from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

from daist.framework import main as cli
from daist.framework.errors import ConfigError, TargetError
from daist.framework.limits import open_files_limit, open_files_warning
from daist.framework.log import get_logger
from daist.framework.pipes import quiet_on_closed_pipe
from daist.framework.session import Session
from daist.framework.settings import Settings
from daist.framework.target import StandinLauncher, fault_options
from daist.models import environment

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


def build_session(settings: Settings, command: str) -> Session:
    """A session with its stand-in launcher, the results-database upload after each test (when
    a database is configured) and the HTML report at the end of the run."""
    session = Session(settings=settings, command=command, standin=standin_launcher())
    if settings.db.PERF_RESULT_DB_HOST:
        from daist.db.upload import SessionUploader
        session.after_test.append(SessionUploader(settings))
    from daist.report.hook import write_run_report
    session.on_stop.append(write_run_report)
    return session


def check_settings(settings: Settings) -> None:
    """Settings whose grammar a test package owns, checked before anything starts (a bad
    ``[metrics] slo`` must not surface hours into a run). Raises ``ConfigError``."""
    from daist.metrics.readback import READ_OPERATIONS
    from daist.models.metric_latency import TRIAL_OPERATIONS
    from daist.models.limits import metric_limits
    from daist.rest_api.catalogue import CATALOGUE
    from daist.rest_api.plan import LoadPlan
    from daist.rest_api.resources import fixed_profile
    from daist.rest_api.verdict import parse_endpoint_slo

    locust = settings.locust
    plan = LoadPlan.from_settings(locust)
    if plan.distributed:
        check_bindable(*plan.bind)
    warning = open_files_warning(-(-plan.users // plan.processes), open_files_limit())
    if warning:
        print(f"daist: warning: {warning}", file=sys.stderr)
    profile = settings.determined.RESOURCE_PROFILE
    if profile in settings.profiles:
        fixed_profile(profile, settings.profiles[profile])
    parse_endpoint_slo(locust.slo, p95_ms=locust.p95_ms, p99_ms=locust.p99_ms,
                       max_fail_ratio=locust.max_fail_ratio,
                       test_names={entry.test_name for entry in CATALOGUE})
    metric_limits(settings.metrics.slo, operations=(*TRIAL_OPERATIONS, *READ_OPERATIONS),
                  error=ConfigError)
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


def check_bindable(host: str, port: int) -> None:
    """The Locust master's ``master_bind`` must be free: a port in use is a setting to change,
    not a ZMQ traceback once the users are about to start."""
    if port == 0:
        return
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as ZMQ binds
            probe.bind((host.strip("[]"), port))
    except OSError as exc:
        raise ConfigError(f"[locust] master_bind {host}:{port}: cannot listen there: "
                          f"{exc.strerror or exc}") from None


def write_summary_md(session: Session, path: Path) -> None:
    from daist.report.hook import write_run_markdown
    write_run_markdown(session, path)


WIRING = cli.Wiring(build_session=build_session, check_settings=check_settings,
                    write_summary_md=write_summary_md)


@quiet_on_closed_pipe
def main(argv: list[str] | None = None, *, prog: str = "python -m daist") -> int:
    return cli.main(argv, wiring=WIRING, prog=prog)
