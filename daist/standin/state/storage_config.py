"""A workspace's checkpoint storage config as the master keeps and shows it.

The master reads the request's struct into its expconf ``CheckpointStorageConfig`` (a union
on ``type``), checks it is complete, stores it and shows it back marshalled from that struct:
the type's own fields (``null`` when unset, except the ones Go omits when empty), the three
``save_*`` counts, and S3 keys hidden. Keys the struct does not know are dropped.
"""
from __future__ import annotations

from typing import Any

from daist.standin.common.errors import BadRequest

HIDDEN = "********"
_SAVE_COUNTS = ("save_experiment_best", "save_trial_best", "save_trial_latest")
# type -> (fields always shown, fields shown only when set, the field it cannot do without)
_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "shared_fs": (("host_path", "storage_path", "propagation"),
                  ("container_path", "checkpoint_path", "tensorboard_path"), "host_path"),
    "s3": (("bucket", "access_key", "secret_key", "endpoint_url", "prefix"), (), "bucket"),
    "gcs": (("bucket", "prefix"), (), "bucket"),
    "azure": (("container",), ("connection_string", "account_url", "credential"), "container"),
    "directory": (("container_path",), (), "container_path"),
}


def storage_config(raw: Any) -> dict[str, Any] | None:
    """The stored form of a request's ``checkpointStorageConfig``; ``None`` for none or
    ``{}`` (which clears it). Incomplete configs are refused (400) as ``schemas.IsComplete``
    refuses them."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict):
        raise BadRequest("checkpointStorageConfig must be an object")
    kind = raw.get("type")
    if kind not in _TYPES:
        raise BadRequest(f"config is invalid or incomplete: checkpoint storage type must be"
                         f" one of {sorted(_TYPES)}")
    shown, optional, required = _TYPES[kind]
    if raw.get(required) is None:
        raise BadRequest(f"config is invalid or incomplete: {kind} checkpoint storage needs"
                         f" {required}")
    for count in _SAVE_COUNTS:
        value = raw.get(count)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 0):
            raise BadRequest(f"config is invalid or incomplete: {count} must be a"
                             " non-negative integer")
    out: dict[str, Any] = {"type": kind}
    out.update({name: raw.get(name) for name in shown})
    out.update({name: raw[name] for name in optional if raw.get(name) is not None})
    out.update({count: raw.get(count) for count in _SAVE_COUNTS})
    return out


def printable_storage(storage: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored checkpoint storage config as the master shows it: S3 keys hidden."""
    if not storage or storage.get("type") != "s3":
        return storage
    return {k: HIDDEN if k in ("access_key", "secret_key") and v is not None else v
            for k, v in storage.items()}
