"""The public REST calls a seed makes, one method per object. Experiments are unmanaged
(detached-mode): they get trials, metrics and checkpoints without any slot, through the same
calls ``core_v2`` makes. Safe from many threads: each thread has its own HTTP session."""
from __future__ import annotations

import datetime
import random
import threading
import time
import uuid
from typing import Any, Iterator

import yaml

from daist.framework.master_client import MasterClient, pages
from daist.framework.errors import TargetError
from daist.seed.plan import SeedPlan

PAGE = 500
SEED_MAX_PAGES = 10_000
"""A bound (5 M items) a seeded master never reaches."""
DONE = "STATE_COMPLETED"
COMPLETE = "daist-seed-complete"
"""The label a seeded experiment gets once all its trials are complete: an interrupted seed can
leave an experiment COMPLETED with fewer trials than planned, which must not count."""
GONE = frozenset({"STATE_DELETING", "STATE_DELETED", "STATE_DELETE_FAILED"})
DELETE_DEADLINE_S, DELETE_POLL_S = 300.0, 0.2


class SeedMaster:
    def __init__(self, url: str, token: str, *, timeout: float = 60.0) -> None:
        self.url = url
        self._token = token
        self._timeout = timeout
        self._local = threading.local()
        self._clients: list[MasterClient] = []
        self._lock = threading.Lock()

    @property
    def api(self) -> MasterClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = MasterClient(self.url, timeout=self._timeout)
            client.http.headers["Authorization"] = f"Bearer {self._token}"
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.http.close()  # not logout: the token is the caller's
            self._clients.clear()

    def _send(self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200,),
              params: Any = None) -> Any:
        response = self.api.request(method, path, json=body, params=params, ok=ok)
        return response.json() if response.content else {}

    def _pages(self, path: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        return pages(self.api, path, key, page=PAGE, max_pages=SEED_MAX_PAGES, **params)

    # -- workspaces and projects -------------------------------------------------------------
    def workspaces(self, prefix: str) -> list[dict[str, Any]]:
        return [w for w in self._pages("/api/v1/workspaces", "workspaces")
                if str(w.get("name", "")).startswith(prefix)]

    def ensure_workspace(self, name: str) -> int:
        found = [w for w in self._send("GET", "/api/v1/workspaces", params={"name": name})
                 .get("workspaces") or [] if w.get("name") == name]
        if found:
            return int(found[0]["id"])
        return int(self._send("POST", "/api/v1/workspaces", {"name": name})["workspace"]["id"])

    def projects(self, workspace_id: int) -> list[dict[str, Any]]:
        return list(self._pages(f"/api/v1/workspaces/{workspace_id}/projects", "projects"))

    def ensure_project(self, workspace_id: int, name: str) -> int:
        for project in self.projects(workspace_id):
            if project.get("name") == name:
                return int(project["id"])
        body = {"name": name, "workspaceId": workspace_id,
                "description": "seeded by daist (python -m daist.seed)"}
        return int(self._send("POST", f"/api/v1/workspaces/{workspace_id}/projects",
                              body)["project"]["id"])

    def delete_project(self, project_id: int) -> None:
        self._send("DELETE", f"/api/v1/projects/{project_id}")

    def delete_workspace(self, workspace_id: int) -> None:
        self._send("DELETE", f"/api/v1/workspaces/{workspace_id}")

    # -- experiments -------------------------------------------------------------------------
    def seeded_experiments(self, tag: str, prefix: str) -> list[dict[str, Any]]:
        """Experiments with the label and the name prefix that are not being deleted."""
        return [e for e in self._pages("/api/v1/experiments", "experiments", labels=tag)
                if tag in (e.get("labels") or []) and str(e.get("name", "")).startswith(prefix)
                and e.get("state") not in GONE]

    def create_experiment(self, plan: SeedPlan, *, index: int, project_id: int) -> int:
        """One complete experiment: trials with metrics and checkpoints, all COMPLETED. An
        interrupted one stays unfinished and is replaced by the next seed of its label."""
        rng = random.Random(f"{plan.label}:{index}")
        config = {"name": plan.experiment_name(index), "labels": [plan.tag],
                  "description": f"daist seed {plan.label} #{index}",
                  "searcher": {"name": "single", "metric": "validation_loss",
                               "smaller_is_better": True},
                  "hyperparameters": {"lr": {"type": "const", "val": 0.01},
                                      "layers": {"type": "const", "val": 4}}}
        made = self._send("POST", "/api/v1/experiments", {
            "config": yaml.safe_dump(config), "unmanaged": True, "projectId": project_id})
        experiment_id = int(made["experiment"]["id"])
        for _ in range(plan.trials_per_experiment):
            self._seed_trial(plan, experiment_id, rng)
        self._send("PUT", f"/api/v1/experiments/{experiment_id}/labels/{COMPLETE}")
        return experiment_id

    def _seed_trial(self, plan: SeedPlan, experiment_id: int, rng: random.Random) -> None:
        hparams = {"lr": round(10 ** rng.uniform(-4, -1), 6), "layers": rng.randint(2, 8)}
        trial = self._send("POST", "/api/v1/trials", {
            "experimentId": experiment_id, "hparams": hparams, "unmanaged": True})["trial"]
        trial_id, task_id = int(trial["id"]), str(trial["taskId"])
        run_id = int(self._send("POST", f"/api/v1/trials/{trial_id}/start",
                                {"trialId": trial_id, "resume": False})["trialRunId"])
        loss = rng.uniform(1.0, 3.0)
        for step in range(1, plan.reports_per_trial + 1):
            loss *= rng.uniform(0.85, 0.99)
            self._metrics(trial_id, run_id, step, "training",
                          {"loss": loss, "accuracy": 1 - loss / 3})
        steps = max(1, plan.reports_per_trial)
        self._metrics(trial_id, run_id, steps, "validation",
                      {"validation_loss": loss * 1.1, "accuracy": 1 - loss / 2.8})
        for number in range(plan.checkpoints_per_trial):
            self._send("POST", "/api/v1/checkpoints", {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "taskId": task_id,
                "allocationId": None, "reportTime": _now(), "state": "STATE_COMPLETED",
                "resources": {"model.pt": str(rng.randint(10_000, 10_000_000))},
                "metadata": {"steps_completed": steps * (number + 1)
                             // plan.checkpoints_per_trial},
                "training": {}})
        self._send("PATCH", f"/api/v1/trials/{trial_id}",
                   {"trialId": trial_id, "state": "STATE_COMPLETED"})

    def _metrics(self, trial_id: int, run_id: int, steps: int, group: str,
                 values: dict[str, float]) -> None:
        self._send("POST", f"/api/v1/trials/{trial_id}/metrics", {
            "metrics": {"trialId": trial_id, "trialRunId": run_id, "stepsCompleted": steps,
                        "metrics": {"avgMetrics": values}},
            "group": group})

    def delete_experiment(self, experiment: dict[str, Any]) -> None:
        """End the trials an interrupted seed left running, then delete the experiment."""
        experiment_id = int(experiment["id"])
        if not is_complete(experiment):
            for trial in self._send("GET", f"/api/v1/experiments/{experiment_id}/trials")\
                    .get("trials") or []:
                if trial.get("state") not in ("STATE_COMPLETED", "STATE_ERROR",
                                              "STATE_CANCELED"):
                    self._send("PATCH", f"/api/v1/trials/{trial['id']}",
                               {"trialId": trial["id"], "state": "STATE_ERROR"})
            if not experiment.get("trialIds"):  # no trial to end: a PAUSED empty experiment
                self._send("POST", f"/api/v1/experiments/{experiment_id}/kill")
        self._send("DELETE", f"/api/v1/experiments/{experiment_id}")
        self._wait_deleted(experiment_id)

    def _wait_deleted(self, experiment_id: int) -> None:
        """The master deletes in the background (DELETING while its checkpoint GC runs):
        wait until the experiment is gone, so its project can go next."""
        deadline = time.monotonic() + DELETE_DEADLINE_S
        while True:
            answer = self.api.request("GET", f"/api/v1/experiments/{experiment_id}",
                                      ok=(200, 404))
            if answer.status_code == 404:
                return
            state = (answer.json().get("experiment") or {}).get("state")
            if state == "STATE_DELETE_FAILED":
                raise TargetError(f"the master could not delete experiment {experiment_id}"
                                  " (STATE_DELETE_FAILED)")
            if time.monotonic() > deadline:
                raise TargetError(f"experiment {experiment_id} is still {state} after"
                                  f" {DELETE_DEADLINE_S:.0f} s of deleting")
            time.sleep(DELETE_POLL_S)

    def checkpoints(self, experiment_id: int) -> list[str]:
        answer = self._send("GET", f"/api/v1/experiments/{experiment_id}/checkpoints")
        return [str(c["uuid"]) for c in answer.get("checkpoints") or []]

    # -- models ------------------------------------------------------------------------------
    def models(self, tag: str, prefix: str) -> list[dict[str, Any]]:
        return [m for m in self._pages("/api/v1/models", "models", name=prefix)
                if str(m.get("name", "")).startswith(prefix) and tag in (m.get("labels") or [])]

    def ensure_model(self, name: str, tag: str, workspace_id: int) -> int:
        """The model's version count (0 when it was created now)."""
        answer = self.api.request("GET", f"/api/v1/models/{name}", ok=(200, 404))
        if answer.status_code == 200:
            return int(answer.json()["model"].get("numVersions") or 0)
        self._send("POST", "/api/v1/models", {
            "name": name, "labels": [tag], "workspaceId": workspace_id,
            "description": "seeded by daist (python -m daist.seed)"})
        return 0

    def add_version(self, name: str, checkpoint_uuid: str) -> None:
        self._send("POST", f"/api/v1/models/{name}/versions",
                   {"modelName": name, "checkpointUuid": checkpoint_uuid})

    def delete_model(self, name: str) -> None:
        self._send("DELETE", f"/api/v1/models/{name}")


def is_complete(experiment: dict[str, Any]) -> bool:
    return experiment.get("state") == DONE and COMPLETE in (experiment.get("labels") or [])


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


__all__ = ["SeedMaster", "TargetError"]
