"""Ids that become file names, and paths kept inside the stand-in's work directory.

Whatever a client sends (a checkpoint uuid, a model-definition path) is data: it is checked
before it names a file, and every resolved path must stay under its base directory, so no
request can make the stand-in read or write elsewhere on its host.
"""
from __future__ import annotations

import uuid
from pathlib import Path, PurePosixPath

from daist.standin.common.errors import BadRequest


def checkpoint_uuid(text: str) -> str:
    """The canonical form of a checkpoint UUID, or 400 as Determined answers a bad one."""
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        raise BadRequest(f"unable to parse checkpoint UUID {text}: invalid UUID format") from None


def inside(base: Path, relative: str | PurePosixPath) -> Path:
    """``base / relative`` resolved (symlinks followed) if it stays under ``base``, else 400."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise BadRequest(f"path {str(relative)!r} escapes its directory")
    root = base.resolve()
    target = (root / rel).resolve()
    if target != root and root not in target.parents:
        raise BadRequest(f"path {str(relative)!r} escapes its directory")
    return target
