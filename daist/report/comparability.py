"""Can two runs be compared? A difference in what was measured (load shape, users, arrival
rate, generator layout, think time, metric-test parameters, the size of a stand-in target) makes
the numbers incomparable: ``compare`` refuses unless forced. Each setting declares which of
these a difference in it is (``Knob.compare`` in ``daist.models.config``). Differences that only may matter
(another machine generated the load, another run time, another daist, an interrupted run, a
saturated generator) are warnings. What is being compared (the Determined versions, commits)
is stated as a fact.

The facts come from the manifests (system, target URL, versions, metadata), each run's
``ConfigFile`` and each load test's ``LocustStatsList.run``. Whatever the verdicts, every setting
that differs and every fault injected into a stand-in is listed (``differences``): nothing that
shaped the numbers is hidden."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from daist.models.config import REFUSE, SECTIONS, WARN, LocustSettings, knobs
from daist.models.result import test_key
from daist.report.faults import faults_line
from daist.report.loader import RunData


def compared_settings(verdict: str) -> tuple[tuple[str, str], ...]:
    """(section, key) of the settings whose difference is a ``verdict``, judged from each
    run's saved ``ConfigFile`` (those a load test records are judged per test)."""
    return tuple((cls.section, f.name) for cls in SECTIONS for f, meta in knobs(cls)
                 if meta.compare == verdict and not meta.recorded)


REFUSED_SETTINGS = compared_settings(REFUSE)
WARNED_SETTINGS = compared_settings(WARN)
RUN_INFO_FIELDS = tuple(f.name for f, meta in knobs(LocustSettings)
                        if meta.recorded and meta.compare == REFUSE)
WINDOW_SPREAD = 1.5
"""Measurement windows more than this many times apart are worth a warning."""


@dataclass
class Comparability:
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    """Every saved setting that differs between the runs, and each run's injected faults:
    shown at the top of every comparison, whatever their verdict."""

    @property
    def comparable(self) -> bool:
        return not self.refusals


def check_sides(bases: list[RunData], cands: list[RunData]) -> Comparability:
    """The first baseline run against the first candidate run, and every further run of a side
    against that side's first (runs of one side must be alike too: their spread is the noise)."""
    found = check_comparable(bases[0], cands[0])
    for label, runs in (("baseline", bases), ("candidate", cands)):
        for run in runs[1:]:
            other = check_comparable(runs[0], run)
            where = f"{label} runs {runs[0].directory.name} and {run.directory.name}"
            found.refusals += [f"{where}: {item}" for item in other.refusals]
            found.warnings += [f"{where}: {item}" for item in other.warnings
                               if not item.startswith(("the load came", "the baseline run",
                                                       "the candidate run"))]
            found.differences += [f"{where}: {item}" for item in other.differences
                                  if not item.startswith(("baseline ", "candidate "))]
            faults = faults_line(run.result.metadata)
            if faults:
                found.differences.append(f"{label} run {run.directory.name}: {faults}")
            if run.result.interrupted or run.result.error:
                found.warnings.append(f"the {label} run {run.directory} was interrupted or "
                                      "ended with an error: its last test may be short")
    return found


def check_comparable(base: RunData, cand: RunData) -> Comparability:
    found = Comparability()
    _targets(base, cand, found)
    _tests(base, cand, found)
    _settings(base, cand, found)
    _differences(base, cand, found)
    _machines(base, cand, found)
    for label, run in (("baseline", base), ("candidate", cand)):
        if run.result.interrupted:
            found.warnings.append(f"the {label} run was interrupted: its last test may be short")
        elif run.result.error:
            found.warnings.append(f"the {label} run ended with an error: {run.result.error}")
    _load_tests(base, cand, found)
    _metric_tests(base, cand, found)
    if not (base.locust or base.metrics):
        found.refusals.append("the baseline has no readable load test or metric-latency test")
    return found


def _targets(base: RunData, cand: RunData, found: Comparability) -> None:
    b, c = base.result, cand.result
    if b.system != c.system:
        found.warnings.append(f"different systems under test: {b.system or '?'} vs {c.system or '?'}")
    elif _host(b.host.determined) != _host(c.host.determined) and b.system != "standin":
        found.warnings.append(f"different master URLs: {b.host.determined} vs {c.host.determined}")
    scales = base.target_scale, cand.target_scale
    if None not in scales and scales[0] != scales[1]:
        found.refusals.append(f"target scale differs: {scales[0]} vs {scales[1]} seeded experiments")
    versions = b.version.determined.server or "?", c.version.determined.server or "?"
    found.facts.append(f"Determined {versions[0]} vs {versions[1]}" if versions[0] != versions[1]
                       else f"Determined {versions[0]} on both")
    commits = [str(r.metadata.get("git_commit") or "")[:10] for r in (b, c)]
    if all(commits) and commits[0] != commits[1]:
        found.facts.append(f"daist commit {commits[0]} vs {commits[1]}")
    if b.version.daist != c.version.daist:
        found.warnings.append(f"measured by different daist versions: {b.version.daist or '?'} "
                              f"vs {c.version.daist or '?'}")


def _settings(base: RunData, cand: RunData, found: Comparability) -> None:
    digests = [r.result.metadata.get("settings_digest") for r in (base, cand)]
    if not (base.settings and cand.settings):
        if None not in digests and digests[0] != digests[1]:
            found.warnings.append(f"the settings differ (digest {digests[0]} vs {digests[1]}) and "
                                  "a run has no saved settings to say which")
        return
    embedded = all(r.setting("determined", "DET_MASTER") == "" for r in (base, cand))
    for keys, verdicts in ((REFUSED_SETTINGS, found.refusals), (WARNED_SETTINGS, found.warnings)):
        for section, key in keys:
            if section == "standin" and not embedded:
                continue  # the [standin] settings shape the embedded stand-in only
            values = base.setting(section, key), cand.setting(section, key)
            if None not in values and values[0] != values[1]:
                verdicts.append(f"[{section}] {key} differs: {values[0]!r} vs {values[1]!r}")


def _tests(base: RunData, cand: RunData, found: Comparability) -> None:
    """Runs of different tests measure different things (a test the candidate lacks is only
    "missing" when its run meant to run it)."""
    if not (base.manifest_readable and cand.manifest_readable):
        return
    tests = [tests_of(run) for run in (base, cand)]
    if tests[0] != tests[1]:
        only = [f"{', '.join(sorted(keys)) or 'none'} only in the {label}"
                for label, keys in (("baseline", tests[0] - tests[1]),
                                    ("candidate", tests[1] - tests[0])) if keys]
        found.refusals.append(f"the runs ran different tests: {'; '.join(only)}")


BOOKKEEPING_SECTIONS = frozenset({"exec", "log", "db"})
"""Where results go, what is logged and where they are uploaded: these shape no figure."""


def setting_differences(base: RunData, cand: RunData) -> list[str]:
    """``[locust] users: '4' vs '8'`` for every saved setting whose value differs (but the
    ``BOOKKEEPING_SECTIONS``)."""
    found = []
    for section in sorted((set(base.settings) | set(cand.settings)) - BOOKKEEPING_SECTIONS):
        keys = set(base.settings.get(section, {})) | set(cand.settings.get(section, {}))
        for key in sorted(keys):
            values = base.setting(section, key), cand.setting(section, key)
            if values[0] != values[1]:
                shown = ["unset" if value is None else repr(value) for value in values]
                found.append(f"[{section}] {key}: {shown[0]} vs {shown[1]}")
    return found


def tests_of(run: RunData) -> set[str]:
    """The keys of the tests the run's manifest says it ran (``TestRO.test``)."""
    return {test_key(test_id) for test_id in run.result.tests}


def _differences(base: RunData, cand: RunData, found: Comparability) -> None:
    found.differences += setting_differences(base, cand)
    for label, run in (("baseline", base), ("candidate", cand)):
        faults = faults_line(run.result.metadata)
        if faults:
            found.differences.append(f"{label} run {run.directory.name}: {faults}")


def _machines(base: RunData, cand: RunData, found: Comparability) -> None:
    machines = [(r.result.metadata.get("hostname"), r.result.metadata.get("cpu_count"))
                for r in (base, cand)]
    if machines[0] != machines[1] and all(any(m) for m in machines):
        (h1, c1), (h2, c2) = machines
        found.warnings.append(f"the load came from different machines ({h1}, {c1} CPUs vs "
                              f"{h2}, {c2} CPUs): a difference may be the generator's")


def _load_tests(base: RunData, cand: RunData, found: Comparability) -> None:
    for key in sorted(set(base.locust) & set(cand.locust)):
        b, c = base.locust[key].stats.run, cand.locust[key].stats.run
        plans = b.plan.columns(), c.plan.columns()
        for name in RUN_INFO_FIELDS:
            if plans[0][name] != plans[1][name]:
                found.refusals.append(f"{key}: load {name} differs: {plans[0][name]!r} vs "
                                      f"{plans[1][name]!r}")
        windows = sorted([b.window_s, c.window_s])
        if windows[0] > 0 and windows[1] / windows[0] > WINDOW_SPREAD:
            found.warnings.append(f"{key}: measurement windows differ: {b.window_s:.1f} s vs "
                                  f"{c.window_s:.1f} s")
        for label, info in (("baseline", b), ("candidate", c)):
            if info.saturated:
                found.warnings.append(f"{key}: the {label}'s load generator was saturated "
                                      "(>= 80% CPU): its figures show the generator's limit")
            if info.interrupted:
                found.warnings.append(f"{key}: the {label}'s load was interrupted")


def _metric_tests(base: RunData, cand: RunData, found: Comparability) -> None:
    for key in sorted(set(base.metrics) & set(cand.metrics)):
        b, c = base.metrics[key].op_hist, cand.metrics[key].op_hist
        if b.axis != c.axis:
            found.refusals.append(f"{key}: sweeps of different axes: {b.axis} vs {c.axis}")
        if b.parameters != c.parameters:
            found.refusals.append(f"{key}: parameters differ: {_pairs(b.parameters)} vs "
                                  f"{_pairs(c.parameters)}")


def _pairs(values: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items())) or "none"


def _host(url: str) -> str:
    return urlsplit(url).hostname or url
