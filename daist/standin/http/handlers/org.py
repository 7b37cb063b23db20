"""Handlers: workspaces, projects, notes, project columns/ranges, templates and webhooks."""
from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import aiohttp
from aiohttp import web

from daist.standin.http.auth import USER, require_admin, require_admin_or_owner
from daist.standin.backend import Backend
from daist.standin.state.entities import Project, User, Webhook, Workspace
from daist.standin.common.errors import BadRequest, FailedPrecondition, Internal
from daist.standin.http.reqs import (as_int, body, body_object, descending, paged, q_bool, q_int,
                                q_ints, q_strs)
from daist.standin.state.store_org import OrgQuery, check_workspace_name
from daist.standin.state.summary import summary_group
from daist.standin.state.webhooks import probe_payload

Json = dict[str, Any]
SAMPLE_TRIALS = 1000  # columns and metric ranges look at this many of a project's newest trials


def _org_query(request: web.Request) -> OrgQuery:
    return OrgQuery(
        name=request.query.get("name") or "",
        name_case_sensitive=request.query.get("nameCaseSensitive") or "",
        archived=q_bool(request, "archived"), pinned=q_bool(request, "pinned"),
        usernames=tuple(q_strs(request, "users")), user_ids=tuple(q_ints(request, "userIds")),
        sort_by=request.query.get("sortBy") or "SORT_BY_UNSPECIFIED",
        descending=descending(request))


async def workspaces(backend: Backend, request: web.Request) -> Json:
    items = backend.store.list_workspaces(_org_query(request), viewer=request[USER].id)
    return paged(request, "workspaces", items)


# -- owner rules of Determined 0.38.1's basic authz (RBAC off; workspace/, project/ and
# webhooks/ authz_basic_impl.go): reading and pinning are open to everyone; changing a
# workspace needs its owner or an admin, a project its owner, its workspace's owner or an admin.
def _owned_workspace(backend: Backend, request: web.Request, workspace_id: int,
                     message: str) -> Workspace:
    workspace = backend.store.get_workspace(workspace_id)
    require_admin_or_owner(request[USER], workspace.user_id, message)
    return workspace


def _require_project_owner(backend: Backend, user: User, project: Project, action: str, *,
                           project_owner_counts: bool = True) -> None:
    owners = (backend.store.get_workspace(project.workspace_id).user_id,)
    if project_owner_counts:
        owners += (project.user_id,)
    require_admin_or_owner(user, owners,
                           f"can't {action}: non admin users need to own the project or workspace")


def _owned_project(backend: Backend, request: web.Request, project_id: int,
                   action: str) -> Project:
    project = backend.store.get_project(project_id)
    _require_project_owner(backend, request[USER], project, action)
    return project


async def get_workspace(backend: Backend, request: web.Request, id: str) -> Json:
    workspace = backend.store.get_workspace(as_int(id, "id"), viewer=request[USER].id)
    return {"workspace": workspace.to_dict()}


async def patch_workspace(backend: Backend, request: web.Request, id: str) -> Json:
    """Renaming (to another name) and checkpoint storage need the owner or an admin, the
    agent user group an admin; default pools anyone."""
    patch = await body_object(request)
    user, workspace = request[USER], backend.store.mutable_workspace(as_int(id, "id"))
    if patch.get("name") is not None and patch["name"] != workspace.name:
        require_admin_or_owner(user, workspace.user_id,
                               "only admins may set other user's workspaces names")
    if patch.get("agentUserGroup") is not None:
        require_admin(user, _AGENT_GROUP_ADMIN_ONLY)
    if patch.get("checkpointStorageConfig") is not None:
        require_admin_or_owner(user, workspace.user_id, "only admins may set checkpoint storage"
                               " config on other user's workspaces")
    workspace = backend.store.patch_workspace(workspace.id, patch, viewer=user.id)
    return {"workspace": workspace.to_dict()}


async def delete_workspace(backend: Backend, request: web.Request, id: str) -> Json:
    """The workspace's running commands are killed first (DeleteWorkspaceNTSC)."""
    workspace = _owned_workspace(backend, request, as_int(id, "id"),
                                 "only admins may delete other user's workspaces")
    backend.store.check_workspace_deletable(workspace.id)
    for command in backend.store.list_commands("command", workspace_id=workspace.id):
        await backend.commands.kill(command.id)
    return {"completed": backend.store.delete_workspace(workspace.id)}


def _flag(apply: Callable[[Backend, web.Request, int], None]) -> Callable[..., Any]:
    """A POST .../{id}/<action> handler with an empty answer (archive, pin and their undos)."""
    async def handler(backend: Backend, request: web.Request, id: str) -> Json:
        apply(backend, request, as_int(id, "id"))
        return {}
    return handler


def _archive_workspace(archived: bool) -> Callable[..., Any]:
    verb = "archive" if archived else "unarchive"

    def apply(backend: Backend, request: web.Request, workspace_id: int) -> None:
        _owned_workspace(backend, request, workspace_id,
                         f"only admins may {verb} other user's workspaces")
        backend.store.set_workspace_archived(workspace_id, archived)
    return _flag(apply)


def _archive_project(archived: bool) -> Callable[..., Any]:
    action = "archive project" if archived else "unarchive project"

    def apply(backend: Backend, request: web.Request, project_id: int) -> None:
        _owned_project(backend, request, project_id, action)
        backend.store.set_project_archived(project_id, archived)
    return _flag(apply)


archive_workspace, unarchive_workspace = _archive_workspace(True), _archive_workspace(False)
pin_workspace = _flag(lambda b, r, i: b.store.set_workspace_pinned(i, r[USER].id, True))
unpin_workspace = _flag(lambda b, r, i: b.store.set_workspace_pinned(i, r[USER].id, False))
archive_project, unarchive_project = _archive_project(True), _archive_project(False)
_AGENT_GROUP_ADMIN_ONLY = "only admin privileged users can set workspace agent user groups"


async def post_workspace(backend: Backend, request: web.Request) -> Json:
    """PostWorkspace: the name's rules, then the agent user group (admins only), checkpoint
    storage and default pools are stored; the creator's pin is set. Namespace bindings and
    quotas (Kubernetes) are not kept."""
    data = await body_object(request)
    name = check_workspace_name(data.get("name"))
    if data.get("agentUserGroup") is not None:
        require_admin(request[USER], _AGENT_GROUP_ADMIN_ONLY)
    viewer = request[USER].id
    workspace = backend.store.add_workspace(
        name=name, user_id=viewer, checkpoint_storage=data.get("checkpointStorageConfig"),
        agent_user_group=data.get("agentUserGroup"),
        default_compute_pool=data.get("defaultComputePool") or "",
        default_aux_pool=data.get("defaultAuxPool") or "")
    backend.store.set_workspace_pinned(workspace.id, viewer, True)
    backend.store.assign_workspace_creator(workspace.id, viewer)
    return {"workspace": backend.store.get_workspace(workspace.id, viewer=viewer).to_dict(),
            "namespaceBindings": {}}


async def workspace_projects(backend: Backend, request: web.Request, id: str) -> Json:
    projects = backend.store.list_projects(_org_query(request), workspace_id=as_int(id, "id"))
    return paged(request, "projects", projects)


async def post_project(backend: Backend, request: web.Request, workspaceId: str) -> Json:
    data = await body_object(request)
    project = backend.store.add_project(
        workspace_id=as_int(workspaceId, "workspaceId"), name=str(data.get("name") or ""),
        user_id=request[USER].id, description=str(data.get("description") or ""),
        key=data.get("key") or None)
    return {"project": project.to_dict()}


async def get_project(backend: Backend, request: web.Request, id: str) -> Json:
    return {"project": backend.store.get_project(as_int(id, "id")).to_dict()}


async def patch_project(backend: Backend, request: web.Request, id: str) -> Json:
    """Changing the name, description or key needs the workspace's owner or an admin: the
    master reads the project here without its owner (project/postgres_project.go
    UpdateProject), so owning only the project does not count, and a new description is
    refused with the name's message."""
    patch = await body_object(request)
    project = backend.store.get_project(as_int(id, "id"))
    for field, action in (("name", "set project name"), ("description", "set project name"),
                          ("key", "set project key")):
        value = patch.get(field)
        if field == "key" and isinstance(value, str):
            value = value.upper()
        if value is not None and value != getattr(project, field):
            _require_project_owner(backend, request[USER], project, action,
                                   project_owner_counts=False)
    return {"project": backend.store.patch_project(project.id, patch).to_dict()}


async def delete_project(backend: Backend, request: web.Request, id: str) -> Json:
    project = _owned_project(backend, request, as_int(id, "id"), "delete project")
    return {"completed": backend.store.delete_project(project.id)}


async def move_project(backend: Backend, request: web.Request, projectId: str) -> Json:
    """Only the project's owner or an admin (the workspace's owner does not count)."""
    data = await body_object(request)
    project = backend.store.get_project(as_int(projectId, "projectId"))
    destination = as_int(data.get("destinationWorkspaceId"), "destinationWorkspaceId")
    backend.store.get_workspace(project.workspace_id)
    backend.store.mutable_workspace(destination)
    require_admin_or_owner(request[USER], project.user_id,
                           "non admin users can't move projects that someone else owns")
    backend.store.move_project(project.id, destination)
    return {}


async def move_experiment(backend: Backend, request: web.Request, experimentId: str) -> Json:
    """Anyone may move any experiment, as on the master with RBAC off (its owner rule,
    CanMoveProjectExperiments, is never called in 0.38.1)."""
    data = await body_object(request)
    experiment_id = as_int(experimentId, "experimentId")
    experiment = backend.store.get_experiment(experiment_id)
    if experiment.archived:
        raise Internal(f"experiment ({experiment_id}) is archived and cannot be moved")
    if backend.store.get_project(experiment.project_id).archived:
        raise Internal(f"project ({experiment.project_id}) is archived and cannot have"
                       " experiments moved from it")
    results = backend.store.move_experiments(
        [experiment_id], as_int(data.get("destinationProjectId"), "destinationProjectId"))
    if results[0]["error"]:
        raise FailedPrecondition(results[0]["error"])
    return {}


async def move_experiments(backend: Backend, request: web.Request, projectId: str) -> Json:
    """Bulk move out of project ``projectId`` by ``experimentIds`` (the ``filters`` form is
    not implemented: 400)."""
    data = await body_object(request)
    if data.get("filters"):
        raise BadRequest("moving experiments by filters is not supported by the stand-in;"
                         " pass experimentIds")
    ids = data.get("experimentIds") or []
    if not isinstance(ids, list):
        raise BadRequest("experimentIds must be a list")
    results = backend.store.move_experiments(
        [as_int(i, "experimentIds") for i in ids],
        as_int(data.get("destinationProjectId"), "destinationProjectId"),
        source_project_id=as_int(projectId, "projectId"))
    return {"results": results}


async def projects_activity(backend: Backend, request: web.Request) -> Json:
    """Projects by their newest experiment; the ``limit`` (default 5) applies."""
    projects = backend.store.list_projects()
    projects.sort(key=lambda p: p.last_experiment_started_at or 0, reverse=True)
    return {"projects": [p.to_dict() for p in projects[: q_int(request, "limit", 5) or 5]]}


async def add_note(backend: Backend, request: web.Request, projectId: str) -> Json:
    data = await body_object(request)
    if not isinstance(data.get("name"), str) or not isinstance(data.get("contents", ""), str):
        raise BadRequest("a note needs a name and contents")
    notes = backend.store.add_note(as_int(projectId, "projectId"), name=data["name"],
                                   contents=data.get("contents", ""))
    return {"notes": [n.to_dict() for n in notes]}


async def put_notes(backend: Backend, request: web.Request, projectId: str) -> Json:
    data = await body_object(request)
    notes = data.get("notes")
    if not isinstance(notes, list) or not all(isinstance(n, dict) for n in notes):
        raise BadRequest("notes must be a list of {name, contents}")
    saved = backend.store.put_notes(as_int(projectId, "projectId"), notes)
    return {"notes": [n.to_dict() for n in saved]}


def _project_trials(backend: Backend, project_id: int) -> tuple[list[dict[str, Any]], list[Json]]:
    """Summaries of the project's newest trials and the hyperparameter sections of its
    configs (oldest config first)."""
    backend.store.get_project(project_id)
    db = backend.store.db
    summaries = [json.loads(text) for (text,) in db.execute(
        "SELECT t.summary FROM trials t JOIN experiments e ON e.id = t.experiment_id"
        " WHERE e.project_id = ? ORDER BY t.id DESC LIMIT ?", (project_id, SAMPLE_TRIALS))]
    sections = [json.loads(text).get("hyperparameters") or {} for (text,) in db.execute(
        "SELECT c.config FROM exp_configs c WHERE c.id IN (SELECT DISTINCT e.config_id FROM"
        " experiments e WHERE e.project_id = ?) ORDER BY c.id", (project_id,))]
    return summaries, sections


def flatten_hparams(section: Json, prefix: str = "") -> dict[str, Any]:
    """``{"a.b": hp}`` as Determined flattens nested hyperparameters: a mapping with a
    ``type`` is one hyperparameter, one without is a group, anything else a constant."""
    flat: dict[str, Any] = {}
    for name, value in section.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and "type" not in value:
            flat.update(flatten_hparams(value, key + "."))
        else:
            flat[key] = value
    return flat


def _hparam_column_type(hp: Any) -> str:
    if isinstance(hp, dict):
        if hp.get("type") in ("int", "double", "log"):
            return "COLUMN_TYPE_NUMBER"
        if hp.get("type") != "const":
            return "COLUMN_TYPE_UNSPECIFIED"
        hp = hp.get("val")
    if isinstance(hp, (int, float)) and not isinstance(hp, bool):
        return "COLUMN_TYPE_NUMBER"
    return "COLUMN_TYPE_TEXT" if isinstance(hp, str) else "COLUMN_TYPE_UNSPECIFIED"


_EXPERIMENT_COLUMNS = [
    ("id", "ID", "COLUMN_TYPE_NUMBER"), ("name", "Name", "COLUMN_TYPE_TEXT"),
    ("description", "Description", "COLUMN_TYPE_TEXT"), ("tags", "Tags", "COLUMN_TYPE_ARRAY"),
    ("forkedFrom", "Forked", "COLUMN_TYPE_NUMBER"), ("startTime", "Start time", "COLUMN_TYPE_DATE"),
    ("duration", "Duration", "COLUMN_TYPE_NUMBER"), ("numTrials", "Trial count", "COLUMN_TYPE_NUMBER"),
    ("state", "State", "COLUMN_TYPE_TEXT"), ("searcherType", "Searcher", "COLUMN_TYPE_TEXT"),
    ("resourcePool", "Resource pool", "COLUMN_TYPE_TEXT"), ("progress", "Progress", "COLUMN_TYPE_NUMBER"),
    ("checkpointSize", "Checkpoint size", "COLUMN_TYPE_NUMBER"), ("user", "User", "COLUMN_TYPE_TEXT"),
]
_METRIC_COLUMN_TYPES = {"number": "COLUMN_TYPE_NUMBER", "string": "COLUMN_TYPE_TEXT",
                        "boolean": "COLUMN_TYPE_TEXT", "date": "COLUMN_TYPE_DATE",
                        "array": "COLUMN_TYPE_ARRAY"}
_GROUP_LOCATIONS = {"training": "LOCATION_TYPE_TRAINING", "validation": "LOCATION_TYPE_VALIDATIONS"}


async def project_columns(backend: Backend, request: web.Request, id: str) -> Json:
    """Experiment columns, then metric columns (``validation.loss.min``: last, max, mean and
    min of a number, only last of anything else; by group and name), then ``hp.a.b``
    hyperparameter columns."""
    summaries, sections = _project_trials(backend, as_int(id, "id"))
    columns = [{"column": c, "displayName": d, "location": "LOCATION_TYPE_EXPERIMENT", "type": t}
               for c, d, t in _EXPERIMENT_COLUMNS]
    kinds: dict[tuple[str, str], set[str]] = {}
    for summary in summaries:
        for key, bucket in summary.items():
            for name, stats in bucket.items():
                kinds.setdefault((summary_group(key), name), set()).add(str(stats.get("type")))
    for (group, name), types in sorted(kinds.items()):
        location = _GROUP_LOCATIONS.get(group, "LOCATION_TYPE_CUSTOM_METRIC")
        # a metric reported with several types is one column of no type, as in the master
        kind = _METRIC_COLUMN_TYPES.get(min(types), "COLUMN_TYPE_UNSPECIFIED") \
            if len(types) == 1 else "COLUMN_TYPE_UNSPECIFIED"
        aggregates = ("last", "max", "mean", "min") if kind == "COLUMN_TYPE_NUMBER" else ("last",)
        columns.extend({"column": f"{group}.{name}.{aggregate}", "displayName": "",
                        "location": location, "type": kind} for aggregate in aggregates)
    hparams: set[str] = set()
    for section in sections:
        flat = flatten_hparams(section)
        for name in sorted(flat.keys() - hparams):
            hparams.add(name)
            columns.append({"column": f"hp.{name}", "displayName": "",
                            "location": "LOCATION_TYPE_HYPERPARAMETERS",
                            "type": _hparam_column_type(flat[name])})
    return {"columns": columns}


async def metric_ranges(backend: Backend, request: web.Request, id: str) -> Json:
    summaries, _ = _project_trials(backend, as_int(id, "id"))
    ranges: dict[str, list[float]] = {}
    for summary in summaries:
        for key, bucket in summary.items():
            group = summary_group(key)
            for name, stats in bucket.items():
                if stats.get("type") != "number":
                    continue
                span = ranges.setdefault(f"{group}.{name}", [stats["min"], stats["max"]])
                span[0], span[1] = min(span[0], stats["min"]), max(span[1], stats["max"])
    return {"ranges": [{"metricsName": name, "min": low, "max": high}
                       for name, (low, high) in sorted(ranges.items())]}


# -- templates -----------------------------------------------------------------------------
async def templates(backend: Backend, request: web.Request) -> Json:
    items = backend.store.list_templates(name=request.query.get("name"),
                                         workspace_ids=q_ints(request, "workspaceIds"),
                                         descending=descending(request))
    return paged(request, "templates", items)


async def get_template(backend: Backend, request: web.Request, templateName: str) -> Json:
    return {"template": backend.store.get_template(templateName).to_dict()}


async def _save_template(backend: Backend, request: web.Request, name: str, *,
                         create_only: bool) -> Json:
    data = await body_object(request)
    template = backend.store.put_template(name=name, config=data.get("config"),
                                          workspace_id=int(data.get("workspaceId") or 1),
                                          create_only=create_only)
    return {"template": template.to_dict()}


async def post_template(backend: Backend, request: web.Request, templateName: str) -> Json:
    return await _save_template(backend, request, templateName, create_only=True)


async def put_template(backend: Backend, request: web.Request, templateName: str) -> Json:
    return await _save_template(backend, request, templateName, create_only=False)


async def patch_template(backend: Backend, request: web.Request, templateName: str) -> Json:
    current = backend.store.get_template(templateName)
    config = await body(request)
    template = backend.store.put_template(name=templateName, config=config,
                                          workspace_id=current.workspace_id)
    return {"template": template.to_dict()}


async def delete_template(backend: Backend, request: web.Request, templateName: str) -> Json:
    backend.store.delete_template(templateName)
    return {}


# -- webhooks ------------------------------------------------------------------------------
# Global webhooks are the admins'; a workspace's webhooks its owner's too. The master returns
# this denial as a plain error, which its gateway answers with 500 / INTERNAL (not 403).
def _require_webhook_editor(backend: Backend, user: User, workspace_id: Any) -> None:
    if workspace_id and backend.store.get_workspace(int(workspace_id)).user_id == user.id:
        return
    if not user.admin:
        raise Internal("non admin users can't edit global webhooks")


def _edited_webhook(backend: Backend, request: web.Request, id: str) -> Webhook:
    hook = backend.store.get_webhook(as_int(id, "id"))
    _require_webhook_editor(backend, request[USER], hook.workspace_id)
    return hook


async def webhooks(backend: Backend, request: web.Request) -> Json:
    """Global webhooks and those of the workspaces the caller owns (all, for an admin)."""
    user = request[USER]
    owned = {w.id for w in backend.store.list_workspaces() if w.user_id == user.id}
    return {"webhooks": [w.to_dict() for w in backend.store.list_webhooks()
                         if user.admin or w.workspace_id is None or w.workspace_id in owned]}


async def post_webhook(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    _require_webhook_editor(backend, request[USER], data.get("workspaceId"))
    return {"webhook": backend.store.add_webhook(data).to_dict()}


async def patch_webhook(backend: Backend, request: web.Request, id: str) -> Json:
    data = await body_object(request)
    hook = _edited_webhook(backend, request, id)
    backend.store.patch_webhook(hook.id, data.get("webhook") or data)
    return {}


async def delete_webhook(backend: Backend, request: web.Request, id: str) -> Json:
    backend.store.delete_webhook(_edited_webhook(backend, request, id).id)
    return {}


async def test_webhook(backend: Backend, request: web.Request, id: str) -> Json:
    """Sends the master's test event now; a failure or an error status is a 400."""
    hook = _edited_webhook(backend, request, id)
    try:
        status = await backend.webhooks.send_now(hook.url, probe_payload(hook.webhook_type))
    except (ValueError, OSError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise BadRequest(f"error sending webhook request: {exc}") from None
    if status >= 400:
        raise BadRequest(f"received error from webhook server: {status}")
    return {"completed": True}
