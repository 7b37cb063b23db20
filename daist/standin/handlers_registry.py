"""Handlers: the model registry (models, versions, labels)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from daist.standin.auth import USER, require_admin_or_owner
from daist.standin.backend import Backend
from daist.standin.reqs import as_int, body_object, paged, q_bool, q_int, q_ints

Json = dict[str, Any]


async def models(backend: Backend, request: web.Request) -> Json:
    items = backend.store.list_models(name=request.query.get("name"),
                                      archived=q_bool(request, "archived"),
                                      workspace_ids=q_ints(request, "workspaceIds"))
    return paged(request, "models", items)


async def post_model(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    return {"model": backend.store.add_model(data, user_id=request[USER].id).to_dict()}


async def get_model(backend: Backend, request: web.Request, modelName: str) -> Json:
    return {"model": backend.store.get_model(modelName).to_dict()}


async def patch_model(backend: Backend, request: web.Request, modelName: str) -> Json:
    patch = await body_object(request)
    return {"model": backend.store.patch_model(modelName, patch).to_dict()}


async def delete_model(backend: Backend, request: web.Request, modelName: str) -> Json:
    require_admin_or_owner(request[USER], backend.store.get_model(modelName).user_id,
                           "non-admin users may not delete other users' models")
    backend.store.delete_model(modelName)
    return {}


async def model_versions(backend: Backend, request: web.Request, modelName: str) -> Json:
    model, versions = backend.store.list_model_versions(modelName)
    return {"model": model.to_dict(), **paged(request, "modelVersions", versions)}


async def post_model_version(backend: Backend, request: web.Request, modelName: str) -> Json:
    data = await body_object(request)
    version = backend.store.add_model_version(modelName, data, user_id=request[USER].id)
    return {"modelVersion": version.to_dict()}


async def get_model_version(backend: Backend, request: web.Request, modelName: str,
                            modelVersionNum: str) -> Json:
    version = backend.store.get_model_version(modelName, as_int(modelVersionNum, "modelVersionNum"))
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
