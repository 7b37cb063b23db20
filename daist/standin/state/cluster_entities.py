"""Cluster entities: resource pools, agents, commands and the tasks/allocations that
``GET /api/v1/tasks`` lists. Each owns its wire shape (EmitDefaults style)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daist.standin.common.wire import iso

AGENT_ID = "standin-agent"  # the one agent every stand-in task runs on (and logs from)


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
    task_container_defaults: dict[str, Any] = field(default_factory=dict)
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
    """A notebook, shell, command or tensorboard. Seeded ones only show as RUNNING; a
    launched command runs as a local process (``trials/commands.py``)."""

    id: str
    kind: str
    description: str
    workspace_id: int
    user_id: int
    username: str
    state: str
    start_time: float
    resource_pool: str
    exit_status: str = ""
    end_time: float | None = None
    config: dict[str, Any] | None = None  # a launched command's; seeded ones have none

    @property
    def allocation_id(self) -> str:
        return f"{self.id}.1"

    def shown_config(self) -> dict[str, Any]:
        return self.config if self.config is not None else {"description": self.description}

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
            "exitStatus": self.exit_status,
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

    def _resources(self) -> list[tuple[str, dict[str, Any]]]:
        """The resources an allocation holds once scheduled (a running one here): one
        container on the stand-in's agent, with a CPU device per slot."""
        if self.state == "STATE_TERMINATED":
            return []
        devices = [{"id": i, "brand": "", "uuid": "", "type": "cpu"} for i in range(self.slots)]
        return [(self.allocation_id, {AGENT_ID: devices})]

    def summary(self) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "allocationId": self.allocation_id,
            "name": self.name,
            "registeredTime": iso(self.start_time),
            "resourcePool": self.resource_pool,
            "slotsNeeded": self.slots,
            "resources": [{"resourcesId": rid, "resourcesType": "docker",
                           "allocationId": self.allocation_id, "containerId": rid,
                           "agentDevices": {agent: {"devices": [
                               {"id": d["id"], "brand": d["brand"], "uuid": d["uuid"],
                                "type": "TYPE_CPU"} for d in devs]}
                               for agent, devs in held.items()}}
                          for rid, held in self._resources()],
            "schedulerType": "priority",
            "priority": 42,
            "proxyPorts": [],
        }

    def legacy_summary(self) -> dict[str, Any]:
        """The master's Go ``sproto.AllocationSummary`` JSON of the legacy ``GET /tasks``."""
        return {
            "task_id": self.task_id,
            "allocation_id": self.allocation_id,
            "name": self.name,
            "registered_time": iso(self.start_time),
            "resource_pool": self.resource_pool,
            "slots_needed": self.slots,
            "resources": [{"resources_id": rid, "resources_type": "docker",
                           "allocation_id": self.allocation_id, "agent_devices": held,
                           "container_id": rid, "Started": None, "Exited": None}
                          for rid, held in self._resources()],
            "scheduler_type": "priority",
            "priority": 42,
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
