"""Handlers: model definition files (tree, tgz, one file) and the two download routes."""
from __future__ import annotations

import base64
import io
import tarfile
from pathlib import Path
from typing import Any

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.common.confine import checkpoint_uuid, inside
from daist.standin.common.errors import BadRequest, NotFound
from daist.standin.http.handlers.tasks import model_tgz
from daist.standin.http.reqs import as_int, body_object
from daist.standin.trials.trialenv import DIR_TYPE
from daist.standin.common.wire import iso

Json = dict[str, Any]


def _tree(files: list[Json]) -> list[Json]:
    """v1FileNode tree in upload order; directories hold their children in ``files``."""
    root: list[Json] = []
    dirs: dict[str, Json] = {}
    for item in files:
        path = str(item["path"]).strip("/")
        parent_path, _, name = path.rpartition("/")
        is_dir = item.get("type") == DIR_TYPE
        content = base64.b64decode(item.get("content") or "") if not is_dir else b""
        node = {"path": path, "name": name, "modifiedTime": iso(float(item.get("mtime") or 0)),
                "contentLength": len(content), "isDir": is_dir,
                "contentType": "" if is_dir else "text/plain", "files": []}
        siblings = dirs[parent_path]["files"] if parent_path in dirs else root
        siblings.append(node)
        if is_dir:
            dirs[path] = node
    return root


def _file(backend: Backend, experiment_id: int, path: str) -> bytes:
    for item in backend.store.model_def_files(experiment_id):
        if str(item["path"]).strip("/") == path.strip("/") and item.get("type") != DIR_TYPE:
            return base64.b64decode(item.get("content") or "")
    raise NotFound(f"file {path!r} not found in experiment {experiment_id}")


async def file_tree(backend: Backend, request: web.Request, experimentId: str) -> Json:
    return {"files": _tree(backend.store.model_def_files(as_int(experimentId, "experimentId")))}


async def model_def(backend: Backend, request: web.Request, experimentId: str) -> Json:
    files = backend.store.model_def_files(as_int(experimentId, "experimentId"))
    return {"b64Tgz": model_tgz(files)}


async def model_def_file(backend: Backend, request: web.Request, experimentId: str) -> Json:
    data = await body_object(request)
    path = data.get("path")
    if not isinstance(path, str) or not path:
        raise BadRequest("path is required")
    content = _file(backend, as_int(experimentId, "experimentId"), path)
    return {"file": base64.b64encode(content).decode()}


async def download_file(backend: Backend, request: web.Request, experimentId: str) -> web.Response:
    path = request.query.get("path")
    if not path:
        raise BadRequest("the path query parameter is required")
    content = _file(backend, as_int(experimentId, "experimentId"), path)
    return web.Response(body=content, content_type="text/plain",
                        headers={"Content-Disposition": f'attachment; filename="{Path(path).name}"'})


async def download_checkpoint(backend: Backend, request: web.Request,
                              checkpointUuid: str) -> web.Response:
    """A tar.gz of the checkpoint's files as its experiment's storage holds them (the
    directory the trial wrote, wherever its ``checkpoint_storage`` put it). Seeded
    checkpoints, which no trial wrote, get a small placeholder per listed resource (see
    README, Known gaps). The uuid must parse as a UUID; the directory is the storage root's
    child of that name, symlinks resolved inside it."""
    checkpoint = backend.store.get_checkpoint(checkpoint_uuid(checkpointUuid))
    storage = (checkpoint.experiment_config or {}).get("checkpoint_storage") or {}
    root = Path(str(storage.get("container_path") or backend.work_dir / "checkpoints"))
    directory = inside(root, checkpoint_uuid(checkpoint.uuid)) if root.is_dir() else None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        if directory is not None and directory.is_dir():  # names relative to the checkpoint
            for child in sorted(directory.iterdir()):
                archive.add(str(child), arcname=child.name)
        else:
            for name in checkpoint.resources:
                data = f"seeded checkpoint {checkpoint.uuid}: {name}\n".encode()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return web.Response(body=buffer.getvalue(), content_type="application/gzip",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{checkpoint.uuid}.tar.gz"'})
