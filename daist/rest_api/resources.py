"""Resource discovery: which experiment, trial, model... the load tests put into paths.

``autodiscover`` asks the target (paginating, tolerating missing keys and failing lookups, and
logging out at the end); ``fixed_profile`` reads a ``[profile.NAME]`` section; ``resolve``
picks one by ``[determined] RESOURCE_PROFILE``. ``build_mix`` turns the catalogue into a
workload's task list and logs every endpoint it skips with the resource that was missing.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

from daist.framework.master_client import MasterClient, pages
from daist.framework.errors import ConfigError, TargetError
from daist.framework.log import get_logger
from daist.models.locust import ResourceProfile
from daist.rest_api.catalogue import CATALOGUE, RUNTIME
from daist.rest_api.endpoints import EndpointTask, Mix

log = get_logger("rest_api")
PAGE = 100
MAX_EXPERIMENTS_EXAMINED = 25
MIX_MEMBERS = {"ro": {"ro"}, "rw": {"ro", "rw"}, "checkpoints": {"checkpoints"}}
ORIGINAL_KEYS = {"model_version_number": "model_version", "checkpoint_id": "checkpoint_uuid",
                 "rbac_enabled": "rbac"}
"""Key spellings of the original daist's profiles, still accepted."""
RBAC_ONLY = frozenset({"rbac", "group_id"})
"""Resources that exist only on a target with RBAC on."""


def resolve(settings: Any, url: str) -> ResourceProfile:
    name = settings.determined.RESOURCE_PROFILE
    if name == "autodiscover":
        with MasterClient(url, timeout=settings.locust.request_timeout) as api:
            api.login(settings.determined.DET_USER, settings.determined.DET_PASSWORD.reveal())
            return autodiscover(api)
    if name not in settings.profiles:
        known = ", ".join(["autodiscover", *sorted(settings.profiles)])
        raise ConfigError(f"[determined] RESOURCE_PROFILE: no [profile.{name}] section "
                          f"(known: {known})")
    return fixed_profile(name, settings.profiles[name])


def fixed_profile(name: str, values: Mapping[str, str]) -> ResourceProfile:
    fields = {f.name: f for f in dataclasses.fields(ResourceProfile)}
    kwargs: dict[str, Any] = {}
    for raw_key, raw in values.items():
        key = ORIGINAL_KEYS.get(raw_key, raw_key)
        if key not in fields or key in ("source", "notes"):
            raise ConfigError(f"[profile.{name}] {raw_key}: unknown key (known: "
                              f"{', '.join(ResourceProfile().values())})")
        text = raw.strip()
        if not text:
            continue
        kind = str(fields[key].type)
        try:
            if key == "rbac":
                kwargs[key] = text.lower() in ("1", "true", "yes", "on")
            elif kind.startswith("int"):
                kwargs[key] = int(text)
            else:
                kwargs[key] = text
        except ValueError:
            raise ConfigError(f"[profile.{name}] {raw_key}: expected an integer, got {text!r}") from None
    return ResourceProfile(source=name, **kwargs)


def autodiscover(api: MasterClient) -> ResourceProfile:
    """Fill a profile from a logged-in client; logs it out at the end."""
    profile = ResourceProfile(source="autodiscover")
    steps: list[Callable[[MasterClient, ResourceProfile], None]] = [
        _me, _rbac, _experiment, _workspace, _model, _resource_pool, _task, _template, _group]
    try:
        for step in steps:
            try:
                step(api, profile)
            except (TargetError, KeyError, TypeError, ValueError, IndexError) as exc:
                profile.notes.append(f"{step.__name__.strip('_')}: {exc}")
    finally:
        try:
            api.logout()
        except TargetError as exc:
            log.warning("logout after resource discovery failed: %s", exc)
    for note in profile.notes:
        log.info("resource discovery: %s", note)
    return profile


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _me(api: MasterClient, profile: ResourceProfile) -> None:
    user = api.get("/api/v1/me")["user"]
    profile.user_id, profile.user_name = _int(user.get("id")), user.get("username")


def _rbac(api: MasterClient, profile: ResourceProfile) -> None:
    profile.rbac = bool(api.get("/api/v1/master").get("rbacEnabled", False))


def _experiment(api: MasterClient, profile: ResourceProfile) -> None:
    """The first completed experiment whose trial has a checkpoint and metrics; else the best
    partial match among the first few completed ones."""
    best: tuple[int, dict[str, Any]] | None = None
    examined = 0
    for experiment in pages(api, "/api/v1/experiments", "experiments", states="STATE_COMPLETED",
                            orderBy="ORDER_BY_DESC"):
        if experiment.get("state") != "STATE_COMPLETED":
            continue
        examined += 1
        found = _trial_facts(api, _int(experiment.get("id")))
        score = sum(bool(found.get(k)) for k in ("trial_id", "checkpoint_uuid", "metrics"))
        if best is None or score > best[0]:
            best = (score, {**found, "experiment": experiment})
        if score == 3 or examined >= MAX_EXPERIMENTS_EXAMINED:
            break
    if best is None:
        raise ValueError("no completed experiment")
    facts = best[1]
    experiment = facts["experiment"]
    profile.experiment_id = _int(experiment.get("id"))
    profile.project_id = _int(experiment.get("projectId"))
    profile.workspace_id = _int(experiment.get("workspaceId"))
    profile.trial_id = facts.get("trial_id")
    profile.checkpoint_uuid = facts.get("checkpoint_uuid")
    profile.task_id = facts.get("task_id")
    if not facts.get("metrics"):
        profile.notes.append(f"experiment: experiment {profile.experiment_id} has no trial with metrics")
    if profile.experiment_id is not None:
        tree = api.get(f"/api/v1/experiments/{profile.experiment_id}/file_tree").get("files") or []
        profile.experiment_file = _first_file(tree)


def _trial_facts(api: MasterClient, experiment_id: int | None) -> dict[str, Any]:
    if experiment_id is None:
        return {}
    trials = api.get(f"/api/v1/experiments/{experiment_id}/trials", limit=PAGE).get("trials") or []
    facts: dict[str, Any] = {}
    for trial in trials:
        checkpoint = (trial.get("bestCheckpoint") or {}).get("uuid")
        metrics = bool(trial.get("summaryMetrics") or trial.get("latestValidation")
                       or _int(trial.get("totalBatchesProcessed")))
        candidate = {"trial_id": _int(trial.get("id")), "checkpoint_uuid": checkpoint,
                     "metrics": metrics, "task_id": trial.get("taskId")
                     or (trial.get("taskIds") or [None])[-1]}
        if not facts or sum(map(bool, candidate.values())) > sum(map(bool, facts.values())):
            facts = candidate
    if facts.get("trial_id") and not facts.get("checkpoint_uuid"):
        checkpoints = api.get(f"/api/v1/trials/{facts['trial_id']}/checkpoints").get("checkpoints") or []
        facts["checkpoint_uuid"] = next((c.get("uuid") for c in checkpoints if c.get("uuid")), None)
    return facts


def _first_file(tree: list[dict[str, Any]]) -> str | None:
    for entry in tree:
        if not entry.get("isDir") and entry.get("path"):
            return entry["path"]
    for entry in tree:
        found = _first_file(entry.get("files") or [])
        if found:
            return found
    return None


def _open(workspace: dict) -> bool:
    """The master refuses new projects in an immutable (Uncategorized) or archived workspace."""
    return not workspace.get("immutable") and not workspace.get("archived")


def _workspace(api: MasterClient, profile: ResourceProfile) -> None:
    """A workspace with a project that the rw mix may create projects in (the experiment's,
    when it is open); an immutable or archived one only when there is no other."""
    if profile.workspace_id is not None and profile.project_id is not None:
        current = api.get(f"/api/v1/workspaces/{profile.workspace_id}").get("workspace") or {}
        if _open(current):
            return
    fallback = None
    for workspace in pages(api, "/api/v1/workspaces", "workspaces"):
        projects = api.get(f"/api/v1/workspaces/{workspace['id']}/projects").get("projects") or []
        if not projects:
            continue
        found = (_int(workspace["id"]), _int(projects[0]["id"]))
        if _open(workspace):
            profile.workspace_id, profile.project_id = found
            return
        fallback = fallback or found
    if profile.workspace_id is None:  # else: keep the experiment's, closed as it is
        if fallback is None:
            raise ValueError("no workspace with a project")
        profile.workspace_id, profile.project_id = fallback


def _model(api: MasterClient, profile: ResourceProfile) -> None:
    for model in pages(api, "/api/v1/models", "models"):
        if (_int(model.get("numVersions")) or 0) > 0:
            versions = api.get(f"/api/v1/models/{model['name']}/versions").get("modelVersions") or []
            if versions:
                profile.model_name = model["name"]
                profile.model_version = _int(versions[0].get("version"))
                return
    raise ValueError("no model with a version")


def _resource_pool(api: MasterClient, profile: ResourceProfile) -> None:
    pools = api.get("/api/v1/resource-pools").get("resourcePools") or []
    if not pools:
        raise ValueError("no resource pool")
    profile.resource_pool = pools[0]["name"]


def _task(api: MasterClient, profile: ResourceProfile) -> None:
    if profile.task_id:
        return
    summaries = api.get("/api/v1/tasks").get("allocationIdToSummary") or {}
    task = next((s.get("taskId") for s in summaries.values() if s.get("taskId")), None)
    if task is None:
        raise ValueError("no task")
    profile.task_id = task


def _template(api: MasterClient, profile: ResourceProfile) -> None:
    templates = api.get("/api/v1/templates").get("templates") or []
    if not templates:
        raise ValueError("no template")
    profile.template_name = templates[0]["name"]


def _group(api: MasterClient, profile: ResourceProfile) -> None:
    if not profile.rbac:
        return
    groups = api.post("/api/v1/groups/search", {"limit": 1}).get("groups") or []
    if not groups:
        raise ValueError("no user group")
    profile.group_id = _int((groups[0].get("group") or {}).get("groupId"))


def unusable(mix: Mix) -> list[str]:
    """The endpoints the target's data left out of ``mix`` (those waiting only for RBAC, which
    the target has off, are not missing data); the caller fails when they are most of it."""
    return sorted(name for name, missing in mix.skipped.items() if set(missing) - RBAC_ONLY)


def unusable_verdict(mix: Mix) -> str | None:
    """The failure message when most of the mix's endpoints are unusable, naming them."""
    names = unusable(mix)
    if len(names) <= len(mix.tasks):
        return None
    shown = "; ".join(f"{n} (no {', '.join(mix.skipped[n])})" for n in names[:10])
    more = f"; and {len(names) - 10} more" if len(names) > 10 else ""
    return (f"resource discovery left {len(names)} of {len(names) + len(mix.tasks)} endpoints "
            f"of the {mix.name} mix unusable: {shown}{more}")


def build_mix(name: str, profile: ResourceProfile, *,
              catalogue: tuple[EndpointTask, ...] = CATALOGUE) -> Mix:
    """The tasks of workload ``name`` whose resources the profile has; the others are logged."""
    members = MIX_MEMBERS[name]
    available = {**profile.values(), **{key: "runtime" for key in RUNTIME}}
    mix = Mix(name=name)
    for task in catalogue:
        if not members.intersection(task.mixes):
            continue
        missing = task.missing(available)
        if missing:
            mix.skipped[task.test_name] = missing
            log.info("skipping %r: the target has no %s", task.test_name, ", ".join(missing))
        elif task.weight:
            mix.tasks.append(task)
    log.info("%s mix: %d endpoints, %d skipped", name, len(mix.tasks), len(mix.skipped))
    return mix
