"""Experiment-side entities: experiments, trials, metric reports and checkpoints.

Each owns its wire shape; the trial also knows its ``MetricsWorkload`` forms (latest and best
validation), which differ from the ``MetricsReport`` form the metric streams use.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daist.standin.common.wire import int64, iso

TERMINAL_STATES = frozenset({"STATE_COMPLETED", "STATE_CANCELED", "STATE_ERROR", "STATE_DELETED"})
DELETION_STATES = frozenset({"STATE_DELETING", "STATE_DELETE_FAILED"})


def displayed_state(stored: str, trial_states: set[str]) -> str:
    """The master stores ACTIVE and shows a running experiment by its trials' allocations:
    RUNNING if one runs, STARTING if one starts, else QUEUED."""
    if stored != "STATE_ACTIVE":
        return stored
    for state in ("STATE_RUNNING", "STATE_STARTING", "STATE_PULLING"):
        if state in trial_states:
            return state
    return "STATE_QUEUED"


@dataclass
class MetricReport:
    id: int
    trial_id: int
    trial_run_id: int
    group: str
    steps: int
    values: dict[str, Any]
    batch_metrics: list[dict[str, Any]] | None
    report_time: float
    archived: bool = False

    def to_dict(self) -> dict[str, Any]:
        """``v1MetricsReport``: validation values sit under ``validation_metrics``."""
        key = "validation_metrics" if self.group == "validation" else "avg_metrics"
        metrics: dict[str, Any] = {key: self.values}
        if self.batch_metrics is not None:
            metrics["batch_metrics"] = self.batch_metrics
        return {
            "id": self.id,
            "trialId": self.trial_id,
            "trialRunId": self.trial_run_id,
            "totalBatches": self.steps,
            "endTime": iso(self.report_time),
            "metrics": metrics,
            "group": self.group,
            "archived": self.archived,
        }

    def to_workload(self) -> dict[str, Any]:
        """``v1MetricsWorkload``, the shape of ``latestValidation`` and workloads."""
        return {
            "endTime": iso(self.report_time),
            "metrics": {"avgMetrics": self.values, "batchMetrics": self.batch_metrics},
            "numInputs": 0,
            "totalBatches": self.steps,
        }


@dataclass
class Checkpoint:
    uuid: str
    trial_id: int | None
    experiment_id: int | None
    task_id: str
    allocation_id: str
    steps: int
    report_time: float
    state: str
    resources: dict[str, str]
    metadata: dict[str, Any]
    storage_id: int | None
    hparams: dict[str, Any] | None = None
    experiment_config: dict[str, Any] | None = None
    validation_metrics: dict[str, Any] | None = None
    searcher_metric: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "allocationId": self.allocation_id,
            "uuid": self.uuid,
            "reportTime": iso(self.report_time),
            "resources": self.resources,
            "metadata": self.metadata,
            "state": self.state,
            "training": {
                "trialId": self.trial_id,
                "experimentId": self.experiment_id,
                "experimentConfig": self.experiment_config,
                "hparams": self.hparams,
                "trainingMetrics": None,
                "validationMetrics": None if self.validation_metrics is None else {
                    "avgMetrics": self.validation_metrics, "batchMetrics": None},
                "searcherMetric": self.searcher_metric,
            },
            "storageId": self.storage_id,
        }

    def to_workload(self) -> dict[str, Any]:
        """``v1CheckpointWorkload``, the shape of a trial's ``bestCheckpoint``."""
        return {
            "uuid": self.uuid,
            "endTime": iso(self.report_time),
            "state": self.state,
            "resources": self.resources,
            "totalBatches": self.steps,
            "metadata": self.metadata,
        }


@dataclass
class Trial:
    id: int
    experiment_id: int
    hparams: dict[str, Any]
    state: str
    restarts: int
    start_time: float
    end_time: float | None
    total_batches: int
    task_id: str
    run_id: int
    summary_metrics: dict[str, Any]
    runner_state: str
    metadata: dict[str, Any]
    progress: float
    latest_validation: MetricReport | None = None
    best_validation: MetricReport | None = None
    best_checkpoint: Checkpoint | None = None
    checkpoint_count: int = 0
    checkpoint_bytes: int = 0
    searcher_metric: str = ""
    warm_start: str | None = None
    log_policy_matched: str | None = None
    prior_task_ids: tuple[str, ...] = ()

    @property
    def task_ids(self) -> list[str]:
        """Every task the trial ran as, oldest first (one more per continue)."""
        return [*self.prior_task_ids, self.task_id]

    @property
    def allocation_id(self) -> str:
        return f"{self.task_id}.{self.run_id}"

    def searcher_metric_value(self) -> float | None:
        if self.best_validation is None:
            return None
        value = self.best_validation.values.get(self.searcher_metric)
        return value if isinstance(value, (int, float)) else None

    def to_dict(self) -> dict[str, Any]:
        wall = None if self.end_time is None else max(self.end_time - self.start_time, 0.0)
        return {
            "id": self.id,
            "experimentId": self.experiment_id,
            "startTime": iso(self.start_time),
            "endTime": iso(self.end_time),
            "state": self.state,
            "restarts": self.restarts,
            "hparams": self.hparams,
            "totalBatchesProcessed": self.total_batches,
            "bestValidation": None if self.best_validation is None else self.best_validation.to_workload(),
            "latestValidation": None if self.latest_validation is None else self.latest_validation.to_workload(),
            "bestCheckpoint": None if self.best_checkpoint is None else self.best_checkpoint.to_workload(),
            "runnerState": self.runner_state,
            "wallClockTime": wall,
            "warmStartCheckpointUuid": self.warm_start or "",
            "taskId": self.task_id,
            "totalCheckpointSize": int64(self.checkpoint_bytes),
            "checkpointCount": self.checkpoint_count,
            "searcherMetricValue": self.searcher_metric_value(),
            "summaryMetrics": self.summary_metrics,
            "taskIds": self.task_ids,
            "metadata": self.metadata,
            "logPolicyMatched": self.log_policy_matched,
            "logRetentionDays": None,
        }


@dataclass
class Experiment:
    id: int
    name: str
    description: str
    notes: str
    labels: list[str]
    state: str
    archived: bool
    progress: float
    start_time: float
    end_time: float | None
    project_id: int
    project_name: str
    project_owner_id: int
    workspace_id: int
    workspace_name: str
    user_id: int
    username: str
    config: dict[str, Any]
    original_config: str
    searcher_type: str
    searcher_metric: str
    resource_pool: str
    model_definition_size: int
    trial_ids: list[int] = field(default_factory=list)
    checkpoint_count: int = 0
    checkpoint_bytes: int = 0
    best_trial_id: int | None = None
    best_trial_metric: float | None = None
    shown_state: str | None = None  # what reads show; None: the stored state
    unmanaged: bool = False
    external_experiment_id: str | None = None

    @property
    def job_id(self) -> str:
        return f"job-{self.id}"

    def to_dict(self) -> dict[str, Any]:
        duration = None
        if self.end_time is not None:
            duration = int((self.end_time - self.start_time) * 1000)
        return {
            "id": self.id,
            "description": self.description,
            "labels": self.labels,
            "startTime": iso(self.start_time),
            "endTime": iso(self.end_time),
            "state": self.shown_state or self.state,
            "archived": self.archived,
            "numTrials": len(self.trial_ids),
            "trialIds": self.trial_ids,
            "displayName": self.username,
            "userId": self.user_id,
            "username": self.username,
            "resourcePool": self.resource_pool,
            "searcherType": self.searcher_type,
            "searcherMetric": self.searcher_metric,
            "hyperparameters": self.config.get("hyperparameters", {}),
            "name": self.name,
            "notes": self.notes,
            "jobId": self.job_id,
            "forkedFrom": None,
            "progress": self.progress,
            "projectId": self.project_id,
            "projectName": self.project_name,
            "workspaceId": self.workspace_id,
            "workspaceName": self.workspace_name,
            "parentArchived": False,
            "config": self.config,
            "originalConfig": self.original_config,
            "projectOwnerId": self.project_owner_id,
            "checkpointSize": int64(self.checkpoint_bytes),
            "checkpointCount": self.checkpoint_count,
            "bestTrialSearcherMetric": self.best_trial_metric,
            "bestTrialId": self.best_trial_id,
            "unmanaged": self.unmanaged,
            "duration": duration,
            "externalExperimentId": self.external_experiment_id,
            "externalTrialId": None,
            "modelDefinitionSize": self.model_definition_size,
            "pachydermIntegration": None,
        }


__all__ = ["Checkpoint", "Experiment", "MetricReport", "TERMINAL_STATES", "Trial"]
