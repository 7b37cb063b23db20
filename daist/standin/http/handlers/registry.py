"""Handlers: the model registry (models, versions, labels)."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from aiohttp import web

from daist.standin.http.auth import USER, require_admin_or_owner
from daist.standin.backend import Backend
from daist.standin.common.errors import BadRequest
from daist.standin.http.reqs import as_int, body_object, descending, paged, q_bool, q_int, q_ints
from daist.standin.state.store_registry import FULL_DELETE_GLOB

Json = dict[str, Any]


async def models(backend: Backend, request: web.Request) -> Json:
    items = backend.store.list_models(name=request.query.get("name"),
                                      archived=q_bool(request, "archived"),
                                      workspace_ids=q_ints(request, "workspaceIds"),
                                      sort_by=request.query.get("sortBy") or "SORT_BY_UNSPECIFIED",
                                      descending=descending(request))
    return paged(request, "models", items)


async def post_model(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    return {"model": backend.store.add_model(data, user_id=request[USER].id).to_dict()}


async def get_model(backend: Backend, request: web.Request, modelName: str) -> Json:
    return {"model": backend.store.get_model(modelName).to_dict()}


async def patch_model(backend: Backend, request: web.Request, modelName: str) -> Json:
    patch = await body_object(request)
    return {"model": backend.store.patch_model(modelName, patch).to_dict()}


async def archive_model(backend: Backend, request: web.Request, modelName: str) -> Json:
    backend.store.set_model_archived(modelName, True)
    return {}


async def unarchive_model(backend: Backend, request: web.Request, modelName: str) -> Json:
    backend.store.set_model_archived(modelName, False)
    return {}


async def delete_model(backend: Backend, request: web.Request, modelName: str) -> Json:
    require_admin_or_owner(request[USER], backend.store.get_model(modelName).user_id,
                           "non-admin users may not delete other users' models")
    backend.store.delete_model(modelName)
    return {}


async def model_versions(backend: Backend, request: web.Request, modelName: str) -> Json:
    model, versions = backend.store.list_model_versions(
        modelName, sort_by=request.query.get("sortBy") or "SORT_BY_UNSPECIFIED",
        descending=descending(request))
    return {"model": model.to_dict(), **paged(request, "modelVersions", versions)}


async def post_model_version(backend: Backend, request: web.Request, modelName: str) -> Json:
    data = await body_object(request)
    version = backend.store.add_model_version(modelName, data, user_id=request[USER].id)
    return {"modelVersion": version.to_dict()}


async def get_model_version(backend: Backend, request: web.Request, modelName: str,
                            modelVersionNum: str) -> Json:
    version = backend.store.get_model_version(modelName, as_int(modelVersionNum, "modelVersionNum"))
    return {"modelVersion": version.to_dict()}


async def patch_model_version(backend: Backend, request: web.Request, modelName: str,
                              modelVersionNum: str) -> Json:
    patch = await body_object(request)
    version = backend.store.patch_model_version(
        modelName, as_int(modelVersionNum, "modelVersionNum"), patch)
    return {"modelVersion": version.to_dict()}


async def delete_model_version(backend: Backend, request: web.Request, modelName: str,
                               modelVersionNum: str) -> Json:
    number = as_int(modelVersionNum, "modelVersionNum")
    version = backend.store.get_model_version(modelName, number)
    owners = (version.user_id, backend.store.get_model(modelName).user_id)
    require_admin_or_owner(request[USER], owners,
                           "non-admin users may not delete other users' model versions")
    backend.store.delete_model_version(modelName, number)
    return {}


async def model_version_metrics(backend: Backend, request: web.Request, modelName: str,
                                modelVersionNum: str) -> Json:
    """Inference metrics linked through trial source info; the stand-in records none."""
    backend.store.get_model_version(modelName, as_int(modelVersionNum, "modelVersionNum"))
    return {"metrics": []}


async def model_labels(backend: Backend, request: web.Request) -> Json:
    return {"labels": backend.store.model_labels(workspace_id=q_int(request, "workspaceId"))}


# -- checkpoint deletion -------------------------------------------------------------------
def _uuids(data: Json) -> list[str]:
    uuids = data.get("checkpointUuids")
    if not isinstance(uuids, list) or not uuids or not all(isinstance(u, str) for u in uuids):
        raise BadRequest("checkpointUuids must be a non-empty list of checkpoint UUIDs")
    for uuid in uuids:
        try:
            UUID(uuid)
        except ValueError:
            raise BadRequest(f"converting checkpoint: invalid UUID {uuid!r}") from None
    return uuids


def _start_gc(backend: Backend, uuids: list[str], globs: list[str]) -> None:
    """The master answers at once and deletes in a GC task per experiment."""
    for experiment_id, group in backend.store.checkpoints_to_remove(uuids, globs).items():
        backend.checkpoint_gc.start(experiment_id, group, globs)


async def remove_checkpoint_files(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    globs = data.get("checkpointGlobs") or []
    if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
        raise BadRequest("checkpointGlobs must be a list of strings")
    _start_gc(backend, _uuids(data), globs)
    return {}


async def delete_checkpoints(backend: Backend, request: web.Request) -> Json:
    _start_gc(backend, _uuids(await body_object(request)), [FULL_DELETE_GLOB])
    return {}
