"""The load test declares itself (``daist.framework.kinds``): its ``[locust]`` settings and
their checks, its limits, the artifacts the tools read (its statistics with their database
rows, its history drawn over time, the capacity search's answer), its sections of the summary
and the page, and what ``compare`` matches. Capacity and volume are modes of this kind.
``daist.app`` declares it with one line."""
from __future__ import annotations

import socket
import sys
from typing import Any

from daist.db.rows import add_load_rows
from daist.framework.errors import ConfigError
from daist.framework.kinds import Artifact, Compared, Section, TestKind
from daist.framework.limits import open_files_limit, open_files_warning
from daist.framework.settings import Settings
from daist.models.capacity import Capacity
from daist.models.history import LocustStatsHistory
from daist.models.locust import LocustStatsList
from daist.report.compare_measures import compare_load
from daist.report.loader import RunData, keep_load_test
from daist.rest_api.report_sections import (TEMPLATE, capacity_keys, capacity_text, load_section,
                                            load_text, timeline_plots)


def parse_limits(settings: Settings) -> Any:
    """``[locust] slo``, ``p95_ms``, ``p99_ms``, ``max_fail_ratio``, by the load test's grammar."""
    from daist.rest_api.catalogue import CATALOGUE
    from daist.rest_api.verdict import parse_endpoint_slo

    locust = settings.locust
    return parse_endpoint_slo(locust.slo, p95_ms=locust.p95_ms, p99_ms=locust.p99_ms,
                              max_fail_ratio=locust.max_fail_ratio,
                              test_names={entry.test_name for entry in CATALOGUE})


def check_settings(settings: Settings) -> None:
    """The load plan, its bind address, the open-files limit it needs, the resource profile
    and the limits, before anything starts. Raises ``ConfigError``."""
    from daist.rest_api.plan import LoadPlan
    from daist.rest_api.resources import fixed_profile

    plan = LoadPlan.from_settings(settings.locust)
    if plan.distributed:
        check_bindable(*plan.bind)
    warning = open_files_warning(-(-plan.users // plan.processes), open_files_limit())
    if warning:
        print(f"daist: warning: {warning}", file=sys.stderr)
    profile = settings.determined.RESOURCE_PROFILE
    if profile in settings.profiles:
        fixed_profile(profile, settings.profiles[profile])
    parse_limits(settings)


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


def load_tests(run: RunData) -> dict[str, Any]:
    return run.locust


LOAD_TEST = TestKind(
    name="load test", settings="locust", check=check_settings, limits=parse_limits,
    artifacts=(Artifact(LocustStatsList, keep=keep_load_test, rows=add_load_rows),
               Artifact(LocustStatsHistory, plot=timeline_plots),
               Artifact(Capacity)),
    sections=(Section(keys=lambda run: list(run.locust), text=load_text,
                      template=TEMPLATE, context=load_section),
              Section(keys=capacity_keys, text=capacity_text)),
    compared=(Compared("load test", load_tests, compare_load),))
