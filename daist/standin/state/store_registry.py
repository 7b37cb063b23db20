"""The model registry (models and their versions) of ``StandinStore``."""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Callable

from daist.standin.state.entities import Model, ModelVersion
from daist.standin.common.errors import BadRequest, Conflict, Internal, NotFound
from daist.standin.state.store_util import distinct_labels

_MODEL_SQL = """
SELECT m.*, u.username,
  (SELECT COUNT(*) FROM model_versions v WHERE v.model_id = m.id) AS num_versions
FROM models m JOIN users u ON u.id = m.user_id
"""
_MODEL_SORTS = {"SORT_BY_UNSPECIFIED": "m.id", "SORT_BY_NAME": "m.name",
                "SORT_BY_DESCRIPTION": "m.description", "SORT_BY_CREATION_TIME": "m.creation_time",
                "SORT_BY_LAST_UPDATED_TIME": "m.last_updated", "SORT_BY_NUM_VERSIONS": "num_versions",
                "SORT_BY_WORKSPACE": "(SELECT name FROM workspaces w WHERE w.id = m.workspace_id)"}
_VERSION_SORTS = {"SORT_BY_UNSPECIFIED": "v.version", "SORT_BY_VERSION": "v.version",
                  "SORT_BY_CREATION_TIME": "v.creation_time"}
_VERSION_SQL = ("SELECT v.*, u.username FROM model_versions v JOIN users u ON u.id = v.user_id"
                " WHERE v.model_id = ?")


FULL_DELETE_GLOB = "**/*"  # what DeleteCheckpoints removes: everything


def _model(row: sqlite3.Row) -> Model:
    return Model(id=row["id"], name=row["name"], description=row["description"],
                 notes=row["notes"], labels=json.loads(row["labels"]),
                 metadata=json.loads(row["metadata"]), workspace_id=row["workspace_id"],
                 user_id=row["user_id"], username=row["username"], archived=bool(row["archived"]),
                 creation_time=row["creation_time"], last_updated_time=row["last_updated"],
                 num_versions=row["num_versions"])


class RegistryStore:
    db: sqlite3.Connection
    now: Callable[[], float]

    def add_model(self, body: dict[str, Any], *, user_id: int) -> Model:
        name = body.get("name")
        if not name or not str(name).strip():
            raise BadRequest("model name must not be empty")
        now = self.now()
        try:
            cur = self.db.execute(
                "INSERT INTO models (name, workspace_id, user_id, description, notes, labels,"
                " metadata, creation_time, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, int(body.get("workspaceId") or 1), user_id, body.get("description") or "",
                 body.get("notes") or "", json.dumps(list(body.get("labels") or [])),
                 json.dumps(body.get("metadata") or {}), now, now))
        except sqlite3.IntegrityError:
            raise Conflict(f"model {name!r} already exists") from None
        return self.get_model_by_id(cur.lastrowid)

    def get_model_by_id(self, model_id: int) -> Model:
        row = self.db.execute(_MODEL_SQL + " WHERE m.id = ?", (model_id,)).fetchone()
        if row is None:
            raise NotFound(f"model {model_id} not found")
        return _model(row)

    def get_model(self, name_or_id: str) -> Model:
        """By name, or by numeric id (autodiscovery asks for versions by the model's id)."""
        row = self.db.execute(_MODEL_SQL + " WHERE m.name = ?", (name_or_id,)).fetchone()
        if row is None and name_or_id.isdigit():
            row = self.db.execute(_MODEL_SQL + " WHERE m.id = ?", (int(name_or_id),)).fetchone()
        if row is None:
            raise NotFound(f"model {name_or_id!r} not found")
        return _model(row)

    def list_models(self, *, name: str | None = None, archived: bool | None = None,
                    workspace_ids: list[int] | None = None, sort_by: str = "SORT_BY_UNSPECIFIED",
                    descending: bool = False) -> list[Model]:
        """Filters: ``name`` (substring), ``archived``, ``workspaceIds``; ``sortBy`` then id,
        both in the ``orderBy`` direction. description/labels/users are not implemented."""
        if sort_by not in _MODEL_SORTS:
            raise Internal(f"unsupported sort by {sort_by}")
        where, args = ["1 = 1"], []
        if name:
            where.append("m.name LIKE ?")
            args.append(f"%{name}%")
        if archived is not None:
            where.append("m.archived = ?")
            args.append(int(archived))
        if workspace_ids:
            where.append(f"m.workspace_id IN ({','.join('?' * len(workspace_ids))})")
            args.extend(workspace_ids)
        direction = "DESC" if descending else "ASC"
        order = f"{_MODEL_SORTS[sort_by]} {direction}, m.id {direction}"
        rows = self.db.execute(_MODEL_SQL + f" WHERE {' AND '.join(where)} ORDER BY {order}", args)
        return [_model(r) for r in rows.fetchall()]

    def patch_model(self, name: str, patch: dict[str, Any]) -> Model:
        model = self.get_model(name)
        if model.archived:
            raise Internal(f"model {name!r} is archived and cannot have attributes updated")
        fields = {"name": model.name, "description": model.description, "notes": model.notes,
                  "labels": model.labels, "metadata": model.metadata}
        fields.update({k: v for k, v in patch.items() if k in fields and v is not None})
        try:
            self.db.execute(
                "UPDATE models SET name = ?, description = ?, notes = ?, labels = ?, metadata = ?,"
                " last_updated = ? WHERE id = ?",
                (fields["name"], fields["description"], fields["notes"],
                 json.dumps(list(fields["labels"])), json.dumps(fields["metadata"]), self.now(),
                 model.id))
        except sqlite3.IntegrityError:
            raise Conflict(f"model {fields['name']!r} already exists") from None
        return self.get_model_by_id(model.id)

    def set_model_archived(self, name: str, archived: bool) -> None:
        model = self.get_model(name)
        self.db.execute("UPDATE models SET archived = ?, last_updated = ? WHERE id = ?",
                        (int(archived), self.now(), model.id))

    def delete_model(self, name: str) -> None:
        model = self.get_model(name)
        self.db.execute("DELETE FROM model_versions WHERE model_id = ?", (model.id,))
        self.db.execute("DELETE FROM models WHERE id = ?", (model.id,))

    def model_labels(self, *, workspace_id: int | None = None) -> list[str]:
        if workspace_id:
            return distinct_labels(self.db, "models", where="workspace_id = ?", args=(workspace_id,))
        return distinct_labels(self.db, "models")

    # -- versions ----------------------------------------------------------------------------
    def _version(self, row: sqlite3.Row, model: Model) -> ModelVersion:
        return ModelVersion(id=row["id"], version=row["version"], model=model,
                            checkpoint=self.get_checkpoint(row["checkpoint_uuid"]),  # type: ignore[attr-defined]
                            name=row["name"], comment=row["comment"], notes=row["notes"],
                            labels=json.loads(row["labels"]), metadata=json.loads(row["metadata"]),
                            user_id=row["user_id"], username=row["username"],
                            creation_time=row["creation_time"], last_updated_time=row["last_updated"])

    def add_model_version(self, name: str, body: dict[str, Any], *, user_id: int) -> ModelVersion:
        model = self.get_model(name)
        if model.archived:
            raise Internal(f"model {name!r} is archived and cannot register new versions")
        uuid = body.get("checkpointUuid")
        if not uuid:
            raise BadRequest("checkpointUuid is required")
        self.get_checkpoint(str(uuid))  # type: ignore[attr-defined]
        (last,) = self.db.execute("SELECT COALESCE(MAX(version), 0) FROM model_versions"
                                  " WHERE model_id = ?", (model.id,)).fetchone()
        now = self.now()
        self.db.execute(
            "INSERT INTO model_versions (model_id, version, checkpoint_uuid, name, comment, notes,"
            " labels, metadata, user_id, creation_time, last_updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (model.id, last + 1, uuid, body.get("name") or "", body.get("comment") or "",
             body.get("notes") or "", json.dumps(list(body.get("labels") or [])),
             json.dumps(body.get("metadata") or {}), user_id, now, now))
        self.db.execute("UPDATE models SET last_updated = ? WHERE id = ?", (now, model.id))
        return self.get_model_version(name, last + 1)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        model = self.get_model(name)
        row = self.db.execute(_VERSION_SQL + " AND v.version = ?", (model.id, version)).fetchone()
        if row is None:
            raise NotFound(f"model {name!r} has no version {version}")
        return self._version(row, model)

    def patch_model_version(self, name: str, version: int, patch: dict[str, Any]) -> ModelVersion:
        """PatchModelVersion: name, comment, notes, metadata, labels (the fields sent)."""
        current = self.get_model_version(name, version)
        if patch.get("labels") is not None and not isinstance(patch["labels"], list):
            raise BadRequest("labels must be a list of strings")
        if patch.get("metadata") is not None and not isinstance(patch["metadata"], dict):
            raise BadRequest("metadata must be an object")
        fields = {"name": current.name, "comment": current.comment, "notes": current.notes,
                  "labels": current.labels, "metadata": current.metadata}
        fields.update({k: v for k, v in patch.items() if k in fields and v is not None})
        labels = list(dict.fromkeys(str(label) for label in fields["labels"]))
        self.db.execute(
            "UPDATE model_versions SET name = ?, comment = ?, notes = ?, labels = ?, metadata = ?,"
            " last_updated = ? WHERE id = ?",
            (str(fields["name"]), str(fields["comment"]), str(fields["notes"]),
             json.dumps(labels), json.dumps(fields["metadata"]), self.now(), current.id))
        return self.get_model_version(name, version)

    # -- checkpoint deletion (the model registry guards it) ----------------------------------
    def checkpoints_to_remove(self, uuids: list[str], globs: list[str]) -> dict[int, list[str]]:
        """CheckpointsRemoveFiles' checks (globs, existence, the model registry): the
        checkpoints by experiment, each group for one GC task. Nothing changes here; the GC
        task reports what it left (``patch_checkpoints``)."""
        for glob in globs:
            if not glob:
                raise BadRequest("cannot have empty string glob")
            if ".." in glob:
                raise BadRequest(f"glob '{glob}' cannot contain '..'")
        checkpoints = [self.get_checkpoint(uuid) for uuid in uuids]  # type: ignore[attr-defined]
        marks = ",".join("?" * len(uuids)) or "NULL"
        registered = [r[0] for r in self.db.execute(
            f"SELECT DISTINCT checkpoint_uuid FROM model_versions WHERE checkpoint_uuid IN ({marks})"
            " ORDER BY checkpoint_uuid", uuids)]
        if registered:
            raise BadRequest("this subset of checkpoints provided are in the model registry and"
                             f" cannot be deleted: {registered}.")
        groups: dict[int, list[str]] = {}
        for checkpoint in checkpoints:
            if checkpoint.experiment_id is None:
                raise NotFound(f"checkpoint {checkpoint.uuid} belongs to no experiment")
            groups.setdefault(checkpoint.experiment_id, []).append(checkpoint.uuid)
        return groups

    def list_model_versions(self, name: str, *, sort_by: str = "SORT_BY_UNSPECIFIED",
                            descending: bool = False) -> tuple[Model, list[ModelVersion]]:
        """By ``sortBy`` (version when unspecified) in the ``orderBy`` direction."""
        if sort_by not in _VERSION_SORTS:
            raise Internal(f"unsupported sort by {sort_by}")
        model = self.get_model(name)
        direction = "DESC" if descending else "ASC"
        rows = self.db.execute(_VERSION_SQL + f" ORDER BY {_VERSION_SORTS[sort_by]} {direction},"
                               f" v.version {direction}", (model.id,)).fetchall()
        return model, [self._version(r, model) for r in rows]

    def delete_model_version(self, name: str, version: int) -> None:
        model = self.get_model(name)
        deleted = self.db.execute("DELETE FROM model_versions WHERE model_id = ? AND version = ?",
                                  (model.id, version)).rowcount
        if not deleted:
            raise NotFound(f"model {name!r} has no version {version}")
