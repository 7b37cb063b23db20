"""Organisation and registry entities: each dataclass owns its Determined wire shape.

Every ``to_dict`` emits every field of the matching ``bindings`` message (grpc-gateway
EmitDefaults style): unset messages are ``null``, int64 values are strings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daist.standin.common.wire import iso
from daist.standin.state.storage_config import printable_storage

WORKSPACE_STATE = "WORKSPACE_STATE_UNSPECIFIED"  # what the real master reports for a live one


@dataclass
class User:
    id: int
    username: str
    display_name: str
    admin: bool
    active: bool
    modified_at: float
    last_auth_at: float | None = None
    agent_user_group: dict[str, Any] | None = None
    """{agentUid, agentGid, agentUser, agentGroup} once linked, as the wire carries it."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "displayName": self.display_name,
            "admin": self.admin,
            "active": self.active,
            "remote": False,
            "agentUserGroup": self.agent_user_group,
            "modifiedAt": iso(self.modified_at),
            "lastAuthAt": iso(self.last_auth_at),
        }


@dataclass
class Workspace:
    id: int
    name: str
    user_id: int
    username: str
    archived: bool
    immutable: bool
    pinned: bool
    num_projects: int = 0
    num_experiments: int = 0
    state: str = WORKSPACE_STATE
    error_message: str = ""
    checkpoint_storage: dict[str, Any] | None = None
    agent_user_group: dict[str, Any] | None = None
    default_compute_pool: str = ""
    default_aux_pool: str = ""
    pinned_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "archived": self.archived,
            "username": self.username,
            "immutable": self.immutable,
            "numProjects": self.num_projects,
            "pinned": self.pinned,
            "userId": self.user_id,
            "numExperiments": self.num_experiments,
            "state": self.state,
            "errorMessage": self.error_message,
            "agentUserGroup": self.agent_user_group,
            "checkpointStorageConfig": printable_storage(self.checkpoint_storage),
            "pinnedAt": iso(self.pinned_at),
            "defaultComputePool": self.default_compute_pool,
            "defaultAuxPool": self.default_aux_pool,
            "autoCreatedNamespace": "",
        }


@dataclass
class Note:
    name: str
    contents: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "contents": self.contents}


@dataclass
class Project:
    id: int
    name: str
    key: str
    description: str
    workspace_id: int
    workspace_name: str
    user_id: int
    username: str
    archived: bool
    immutable: bool
    notes: list[Note] = field(default_factory=list)
    num_experiments: int = 0
    num_active_experiments: int = 0
    num_runs: int = 0
    last_experiment_started_at: float | None = None
    state: str = WORKSPACE_STATE
    error_message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "workspaceId": self.workspace_id,
            "description": self.description,
            "lastExperimentStartedAt": iso(self.last_experiment_started_at),
            "notes": [note.to_dict() for note in self.notes],
            "numExperiments": self.num_experiments,
            "numActiveExperiments": self.num_active_experiments,
            "archived": self.archived,
            "username": self.username,
            "immutable": self.immutable,
            "userId": self.user_id,
            "workspaceName": self.workspace_name,
            "state": self.state,
            "errorMessage": self.error_message,
            "key": self.key,
            "numRuns": self.num_runs,
        }


@dataclass
class Template:
    name: str
    workspace_id: int
    config: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "config": self.config, "workspaceId": self.workspace_id}


@dataclass
class Webhook:
    id: int
    name: str
    url: str
    mode: str
    webhook_type: str
    workspace_id: int | None
    triggers: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "mode": self.mode,
            "webhookType": self.webhook_type,
            "workspaceId": self.workspace_id,
            "triggers": [dict(t, webhookId=self.id) for t in self.triggers],
        }


@dataclass
class Model:
    id: int
    name: str
    description: str
    notes: str
    labels: list[str]
    metadata: dict[str, Any]
    workspace_id: int
    user_id: int
    username: str
    archived: bool
    creation_time: float
    last_updated_time: float
    num_versions: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "metadata": self.metadata,
            "creationTime": iso(self.creation_time),
            "lastUpdatedTime": iso(self.last_updated_time),
            "numVersions": self.num_versions,
            "labels": self.labels,
            "username": self.username,
            "userId": self.user_id,
            "archived": self.archived,
            "notes": self.notes,
            "workspaceId": self.workspace_id,
        }


@dataclass
class ModelVersion:
    id: int
    version: int
    model: Model
    checkpoint: Any  # exp_entities.Checkpoint; kept loose to avoid an import cycle
    name: str
    comment: str
    notes: str
    labels: list[str]
    metadata: dict[str, Any]
    user_id: int
    username: str
    creation_time: float
    last_updated_time: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "model": self.model.to_dict(),
            "checkpoint": self.checkpoint.to_dict(),
            "creationTime": iso(self.creation_time),
            "lastUpdatedTime": iso(self.last_updated_time),
            "name": self.name,
            "comment": self.comment,
            "notes": self.notes,
            "labels": self.labels,
            "metadata": self.metadata,
            "userId": self.user_id,
            "username": self.username,
        }
