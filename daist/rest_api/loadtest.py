"""``LoadTestCase``: the flow every Locust TestCase shares. Resolve the resources, build the
workload's endpoint mix, run the load, save the artifacts (also after a failure or an
interrupt, with what was measured), then judge the verdict. Imports Locust (load process only).
"""
from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daist.evidence.capture import WindowEvidence
from daist.framework.errors import TargetError
from daist.framework.log import get_logger
from daist.framework.settings import Settings
from daist.framework.testcase import DaistTestCase
from daist.models.base import Format
from daist.models.db import PerfTestRun
from daist.models.locust import LocustSamples, LocustStatsList, ResourceProfile
from daist.models.report import LimitViolations
from daist.models.limits import Limits
from daist.rest_api.catalogue import CATALOGUE
from daist.rest_api.cleanup import remove_own_objects
from daist.engine.distributed import WORKER_LOGS, WorkerError
from daist.rest_api.endpoints import EndpointTask
from daist.rest_api.loadrun import LoadRun
from daist.rest_api.outputs import (stats_history, stats_list, write_locust_csv,
                                   write_locust_html)
from daist.rest_api.plan import LoadPlan
from daist.rest_api.resources import build_mix, resolve, unusable_verdict
from daist.rest_api.user import UserSpec
from daist.rest_api.verdict import endpoint_violations, parse_endpoint_slo

log = get_logger("rest_api")
PROFILE_WAIT_S = 30.0
"""How long after the window a CPU profile still running may take to arrive."""

SETUP_S = 5.0
"""Rough seconds a load test spends besides its load (discovery, start, stop, saving)."""


@dataclass(frozen=True)
class LoadSetup:
    """What one load test runs: the plan, its limits, the target's resources, the endpoints and
    the users' spec."""

    plan: LoadPlan
    slo: Limits
    profile: ResourceProfile
    tasks: list[EndpointTask]
    spec: UserSpec


class LoadTestCase(DaistTestCase):
    mix = "ro"
    """Catalogue workload: ro, rw or checkpoints."""
    plan_overrides: dict[str, Any] = {}
    """LoadPlan fields this test fixes whatever the settings say (e.g. shape = steps)."""

    @classmethod
    def planned_seconds(cls, settings: Settings) -> float | None:
        plan = LoadPlan.from_settings(settings.locust, **cls.plan_overrides)
        return plan.users / plan.spawn_rate + plan.expected_s + SETUP_S

    def run_load(self) -> LocustStatsList:
        setup = self.prepare_load()
        evidence = WindowEvidence(self.session.settings.evidence, url=self.session.target.url,
                                  user=setup.spec.user_name, password=setup.spec.password)
        load = LoadRun(spec=setup.spec, plan=setup.plan, label=self.tag,
                       log_dir=self.session.results_dir,
                       evidence=evidence if evidence.enabled else None)
        lost: WorkerError | None = None
        try:
            load.run()
        except WorkerError as exc:  # a verdict on the load, not an error of daist
            lost = exc
        finally:  # also on failure, Ctrl-C and SIGTERM: keep what was measured
            stats = self._save_results(load, setup.plan.samples_path)
            self.remove_leftovers(setup.spec, setup.profile)
        if lost is not None:
            self.fail(str(lost))
        problems = endpoint_violations(stats, setup.slo)
        verdict = LimitViolations(violations=problems)
        self.save(verdict)  # the full list; the test's message is one line
        if problems:
            self.fail(verdict.message)
        return stats

    def prepare_load(self, **overrides: Any) -> LoadSetup:
        """The plan (the settings, then ``plan_overrides``, then ``overrides``), its limits, the
        resources found on the target, the endpoint mix and the user spec; fails or skips the
        test when the mix cannot run here."""
        settings = self.session.settings
        target = self.session.target
        plan = LoadPlan.from_settings(settings.locust, **{**self.plan_overrides, **overrides})
        slo = parse_endpoint_slo(plan.slo, p95_ms=plan.p95_ms, p99_ms=plan.p99_ms,
                                 max_fail_ratio=plan.max_fail_ratio,
                                 test_names={t.test_name for t in CATALOGUE})
        self.save(slo)  # what report and compare read: the limits this test is judged by
        profile = resolve(settings, target.url)
        self.save(profile)
        mix = build_mix(self.workload, profile)
        unusable = unusable_verdict(mix)
        if unusable:
            self.fail(unusable)
        if not mix.tasks:
            self.skipTest(f"no endpoint of the {self.workload} mix has its resources on this "
                          f"target")
        samples_path = (self.new_artifact_path("LocustSamples", fmt=Format.CSV)
                        if settings.locust.samples else None)
        plan = dataclasses.replace(plan, samples_path=samples_path)
        spec = UserSpec(host=target.url, task_names=[t.test_name for t in mix.tasks],
                        values=profile.values(), user_name=settings.determined.DET_USER,
                        password=settings.determined.DET_PASSWORD.reveal(),
                        user_class=plan.user_class, wait_time=plan.wait_time,
                        request_timeout=plan.request_timeout,
                        rate=plan.load_shape.user_rate(plan.processes),
                        own_prefix=f"daist-{self.workload}-{secrets.token_hex(3)}")
        return LoadSetup(plan=plan, slo=slo, profile=profile, tasks=list(mix.tasks), spec=spec)

    @property
    def workload(self) -> str:
        """The catalogue workload this test runs (``mix``, unless a test reads a setting)."""
        return self.mix

    # -- artifacts ---------------------------------------------------------------------------
    def _save_results(self, load: LoadRun, samples_path: Path | None) -> LocustStatsList:
        stats = stats_list(load)
        for step in (self._save_models, self._save_locust_reports, self._save_evidence,
                     self._save_extra):
            try:
                step(load, stats)
            except Exception as exc:  # one failing report must not cost the others
                log.error("saving %s failed: %s", step.__name__.strip("_"), exc)
                log.debug("details", exc_info=True)
        if samples_path is not None and samples_path.exists():
            self.record_artifact(samples_path, classname=LocustSamples.__name__)
        for worker_log in sorted(self.session.results_dir.glob(WORKER_LOGS)):
            self.record_artifact(worker_log, classname=None)
        usage = ", ".join(f"{u.role} {u.pid}: {u.cpu_percent:.0f}% CPU (peak "
                          f"{u.cpu_max_percent:.0f}%), {u.rss_mb:.0f} MB"
                          for u in stats.run.generator)
        log.info("%s: %d requests, %.1f/s, %d failed in %.1f s; generator %s", self.tag,
                 stats.num_requests, stats.rps, stats.num_failures, stats.run.window_s, usage)
        if stats.run.saturated:
            log.warning("%s: a load-generator process sat at >= %.0f%% CPU: these figures are "
                        "the generator's limit, not the server's (add [locust] workers)",
                        self.tag, LocustStatsList.SATURATION_PERCENT)
        return stats

    def _save_models(self, load: LoadRun, stats: LocustStatsList) -> None:
        self.save(stats)
        history = stats_history(load)
        self.save(history)
        self.save(history, fmt=Format.CSV)
        metadata = self.session.result.metadata
        self.save(PerfTestRun.of(stats, commit=str(metadata.get("git_commit") or ""),
                                 branch=str(metadata.get("git_branch") or "")))

    def _save_locust_reports(self, load: LoadRun, stats: LocustStatsList) -> None:
        if load.env is None or load.env.runner is None:
            return
        requests = self.new_artifact_path("LocustCsv", tags=("stats",), fmt=Format.CSV)
        failures = self.new_artifact_path("LocustCsv", tags=("failures",), fmt=Format.CSV)
        write_locust_csv(load.env, requests_path=requests, failures_path=failures)
        self.record_artifact(requests, classname="LocustCsv")
        self.record_artifact(failures, classname="LocustCsv")
        html = self.new_artifact_path("LocustReport", fmt=Format.HTML)
        write_locust_html(load.env, html)
        self.record_artifact(html, classname="LocustReport")

    def _save_evidence(self, load: LoadRun, stats: LocustStatsList) -> None:
        """ServerTiming, SqlStatements and the CPU profile, where they were captured."""
        if load.evidence is None:
            return
        load.evidence.close(wait_s=0.0 if load.interrupted else PROFILE_WAIT_S)
        if load.interrupted:
            return
        found = load.evidence.results(stats.entries)
        if found.server_timing is not None:
            self.save(found.server_timing)
            for warning in found.server_timing.outside_warnings():
                log.warning("%s: %s", self.tag, warning)
        if found.statements is not None:
            self.save(found.statements)
        if found.profile_bytes is not None:
            path = self.new_artifact_path("CpuProfile", fmt=Format.PPROF)
            path.write_bytes(found.profile_bytes)
            self.record_artifact(path, classname=None)
            if found.profile_top is not None:
                found.profile_top.profile_file = path.name
        if found.profile_top is not None:
            self.save(found.profile_top)

    def _save_extra(self, load: LoadRun, stats: LocustStatsList) -> None:
        """Per-test extras (the scaling curve)."""

    def remove_leftovers(self, spec: UserSpec, profile: ResourceProfile) -> None:
        if self.workload != "rw":
            return
        settings = self.session.settings.determined
        try:
            removed = remove_own_objects(self.session.target.url, user=settings.DET_USER,
                                         password=settings.DET_PASSWORD.reveal(),
                                         prefix=spec.own_prefix,
                                         workspace_id=profile.workspace_id)
        except TargetError as exc:
            log.error("could not remove the objects this test created (name prefix %s): %s",
                      spec.own_prefix, exc)
            return
        if removed:
            log.info("removed %d object(s) the users left behind (prefix %s)", removed,
                     spec.own_prefix)
