"""Organisation and registry entities: each dataclass owns its Determined wire shape.

Every ``to_dict`` emits every field of the matching ``bindings`` message (grpc-gateway
EmitDefaults style): unset messages are ``null``, int64 values are strings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daist.standin.wire import int64, iso

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "displayName": self.display_name,
            "admin": self.admin,
            "active": self.active,
            "remote": False,
            "agentUserGroup": None,
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
            "state": WORKSPACE_STATE,
            "errorMessage": "",
            "agentUserGroup": None,
            "checkpointStorageConfig": None,
            "pinnedAt": None,
            "defaultComputePool": "",
            "defaultAuxPool": "",
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
            "state": WORKSPACE_STATE,
            "errorMessage": "",
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


@dataclass
class ResourcePool:
    """A static pool; only ``name``, ``description`` and slot counts vary."""

    name: str
    description: str
    num_agents: int
    slots_per_agent: int
    slots_used: int
    default_compute: bool
    default_aux: bool
    master_url: str = ""

    def to_dict(self) -> dict[str, Any]:
        slots = self.num_agents * self.slots_per_agent
        return {
            "name": self.name,
            "description": self.description,
            "type": "RESOURCE_POOL_TYPE_STATIC",
            "numAgents": self.num_agents,
            "slotsAvailable": slots,
            "slotsUsed": self.slots_used,
            "slotType": "TYPE_CPU",
            "auxContainerCapacity": slots,
            "auxContainersRunning": 0,
            "defaultComputePool": self.default_compute,
            "defaultAuxPool": self.default_aux,
            "preemptible": False,
            "minAgents": 0,
            "maxAgents": 0,
            "slotsPerAgent": self.slots_per_agent,
            "auxContainerCapacityPerAgent": self.slots_per_agent,
            "schedulerType": "SCHEDULER_TYPE_PRIORITY",
            "schedulerFittingPolicy": "FITTING_POLICY_BEST",
            "location": "on-prem",
            "imageId": "",
            "instanceType": "",
            "masterUrl": self.master_url,
            "masterCertName": "",
            "startupScript": "",
            "containerStartupScript": "",
            "agentDockerNetwork": "default",
            "agentDockerRuntime": "runc",
            "agentDockerImage": "",
            "agentFluentImage": "",
            "maxIdleAgentPeriod": 0.0,
            "maxAgentStartingPeriod": 0.0,
            "details": {
                "aws": None,
                "gcp": None,
                "priorityScheduler": {"preemption": False, "defaultPriority": 42, "k8Priorities": []},
            },
            "accelerator": "",
            "stats": {"queuedCount": 0, "scheduledCount": 0},
            "resourceManagerMetadata": {},
            "clusterName": "",
        }


@dataclass
class Agent:
    id: int
    resource_pool: str
    slots: int
    registered_time: float

    def to_dict(self) -> dict[str, Any]:
        stats = {"disabled": 0, "draining": 0, "total": self.slots, "states": {}}
        slots = {
            str(i): {
                "id": str(i),
                "device": {"id": i, "brand": "stand-in CPU", "uuid": f"cpu-{self.id}-{i}",
                           "type": "TYPE_CPU"},
                "enabled": True,
                "container": None,
                "draining": False,
            }
            for i in range(self.slots)
        }
        return {
            "id": f"agent-{self.id}",
            "registeredTime": iso(self.registered_time),
            "slots": slots,
            "containers": {},
            "resourcePools": [self.resource_pool],
            "addresses": ["127.0.0.1"],
            "enabled": True,
            "draining": False,
            "version": "",
            "slotStats": {"typeStats": {"TYPE_CPU": stats}, "brandStats": {"stand-in CPU": stats}},
        }


@dataclass
class Command:
    """A notebook, shell, command or tensorboard: no process runs, it only shows as RUNNING."""

    id: str
    kind: str
    description: str
    workspace_id: int
    user_id: int
    username: str
    state: str
    start_time: float
    resource_pool: str

    @property
    def allocation_id(self) -> str:
        return f"{self.id}.1"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "description": self.description,
            "state": self.state,
            "startTime": iso(self.start_time),
            "container": None,
            "username": self.username,
            "userId": self.user_id,
            "displayName": self.username,
            "resourcePool": self.resource_pool,
            "exitStatus": "",
            "jobId": self.id,
            "workspaceId": self.workspace_id,
        }
        if self.kind in ("notebook", "tensorboard"):
            out["serviceAddress"] = f"/proxy/{self.id}/"
        if self.kind == "tensorboard":
            out["experimentIds"] = []
            out["trialIds"] = []
        if self.kind == "shell":
            out.update(privateKey="", publicKey="", agentUserGroup=None, addresses=[])
        return out


@dataclass
class Allocation:
    """One allocation of a task (a trial run or a command); what ``/api/v1/tasks`` lists."""

    allocation_id: str
    task_id: str
    task_type: str
    name: str
    state: str
    start_time: float
    end_time: float | None
    resource_pool: str
    slots: int

    def summary(self) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "allocationId": self.allocation_id,
            "name": self.name,
            "registeredTime": iso(self.start_time),
            "resourcePool": self.resource_pool,
            "slotsNeeded": self.slots,
            "resources": [],
            "schedulerType": "priority",
            "priority": 42,
            "proxyPorts": [],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "state": self.state,
            "isReady": self.state == "STATE_RUNNING",
            "startTime": iso(self.start_time),
            "endTime": iso(self.end_time),
            "allocationId": self.allocation_id,
            "slots": self.slots,
            "exitReason": "",
            "statusCode": 0,
        }


@dataclass
class Task:
    task_id: str
    task_type: str
    start_time: float
    end_time: float | None
    allocations: list[Allocation]
    config: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "taskType": self.task_type,
            "allocations": [a.to_dict() for a in self.allocations],
            "startTime": iso(self.start_time),
            "endTime": iso(self.end_time),
            "parentId": "",
            "taskState": "GENERIC_TASK_STATE_UNSPECIFIED",
            "forkedFrom": "",
            "config": self.config,
            "noPause": False,
        }


def storage_size(resources: dict[str, Any]) -> str | None:
    """Total of a checkpoint's ``resources`` map, as the int64 string the master sends."""
    return int64(sum(int(v) for v in resources.values()))
