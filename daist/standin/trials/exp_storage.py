"""Where an experiment's checkpoints live on this host.

The stand-in's trials run on the master's host, so a ``shared_fs`` checkpoint storage's
``host_path`` (joined with its ``storage_path``, which must stay inside it) is where they
write, as a task container's bind mount would put them, and a ``directory`` storage's
``container_path`` is that path here; any other storage (or none) puts checkpoints under the
stand-in's work dir. Either way trials get a ``directory`` storage at that path (the
expanded config's ``checkpoint_storage.container_path``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from daist.standin.common.errors import BadRequest


def storage_root(user_storage: Any, default: Path) -> Path:
    """The directory a user's ``checkpoint_storage`` section puts checkpoints in."""
    kind = user_storage.get("type") if isinstance(user_storage, dict) else None
    if kind == "directory":
        path = str(user_storage.get("container_path") or "")
        if not os.path.isabs(path):
            raise BadRequest("checkpoint_storage.container_path must be an absolute path")
        return Path(os.path.normpath(path))
    if kind != "shared_fs":
        return default
    host_path = str(user_storage.get("host_path") or "")
    if not os.path.isabs(host_path):
        raise BadRequest("checkpoint_storage.host_path must be an absolute path")
    host = os.path.normpath(host_path)
    storage_path = user_storage.get("storage_path")
    if storage_path is None:
        return Path(host)
    full = os.path.normpath(os.path.join(host, str(storage_path)))
    if os.path.commonpath([full, host]) != host:
        raise BadRequest("storage path must be a subdirectory of host path.")
    return Path(full)
