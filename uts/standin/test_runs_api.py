"""The runs API (searchRuns filters and run actions) through the SDK's bindings."""
from __future__ import annotations

import json
import unittest
from typing import Any

from determined.common.api import bindings

from uts.standin.coretrial import CoreTrialCase, config


def run_filter(*fields: tuple[str, str, Any], show_archived: bool = False) -> str:
    """A SearchRuns filter as the web UI writes it: run columns ANDed."""
    children = [{"columnName": column, "kind": "field", "location": "LOCATION_TYPE_RUN",
                 "operator": operator, "type": "COLUMN_TYPE_NUMBER", "value": value}
                for column, operator, value in fields]
    return json.dumps({"filterGroup": {"children": children, "conjunction": "and",
                                       "kind": "group"}, "showArchived": show_archived})


class TestRunsApi(CoreTrialCase):
    master_options = {"scale": 10, "slots": 2}

    def finished(self, name: str, **extra: Any) -> int:
        exp = self.create(config(name, **extra))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        return exp.id

    def search(self, project_id: int = 1, **fields: Any) -> list[int]:
        body = bindings.v1SearchRunsRequest(projectId=project_id, limit=100, **fields)
        return [r.id for r in bindings.post_SearchRuns(self.session, body=body).runs]

    def results(self, response: Any) -> dict[int, str]:
        return {r.id: r.error for r in response.results}

    def test_search_runs_honours_experiment_id_id_and_state(self) -> None:
        grid = self.finished("runs-grid", hyperparameters={
            "steps": 1, "x": {"type": "categorical", "vals": [1, 2]}},
            searcher={"name": "grid", "metric": "loss"})
        single = self.finished("runs-single", hyperparameters={"steps": 1})
        grid_runs = sorted(t.id for t in self.trials(grid))
        (single_run,) = [t.id for t in self.trials(single)]
        self.assertEqual(self.search(filter=run_filter(("experimentId", "=", grid))), grid_runs)
        self.assertEqual(self.search(filter=run_filter(("id", "=", single_run))), [single_run])
        self.assertEqual(self.search(filter=run_filter(("experimentId", "=", grid),
                                                       ("state", "=", "COMPLETED"))), grid_runs)
        self.assertEqual(self.search(filter=run_filter(("experimentId", "=", grid),
                                                       ("state", "=", "STATE_RUNNING"))), [])
        # a run hyperparameter, named as the master takes it: with or without ``hp.``
        (x_two,) = [t.id for t in self.trials(grid) if t.hparams["x"] == 2]
        for name in ("x", "hp.x"):
            hp_filter = json.loads(run_filter(("experimentId", "=", grid)))
            hp_filter["filterGroup"]["children"].append({
                "columnName": name, "kind": "field", "location": "LOCATION_TYPE_RUN_HYPERPARAMETERS",
                "operator": ">=", "type": "COLUMN_TYPE_NUMBER", "value": 2})
            self.assertEqual(self.search(filter=json.dumps(hp_filter)), [x_two], name)

    def test_pause_resume_and_kill_a_running_run(self) -> None:
        exp = self.create(config("runs-live", hyperparameters={"hold": str(self.hold_file())}))
        run = self.running_trial(exp.id)
        paused = bindings.post_PauseRuns(
            self.session, body=bindings.v1PauseRunsRequest(projectId=1, runIds=[run, 999999]))
        self.assertEqual(self.results(paused),
                         {run: "", 999999: "Run with id '999999' not found in project with id '1'"})
        self.assertEqual(self.wait_state(exp.id, {"STATE_PAUSED"}), "STATE_PAUSED")
        self.wait_for("the run to pause", lambda: self.trials(exp.id)[0].state.value == "STATE_PAUSED")
        resumed = bindings.post_ResumeRuns(
            self.session, body=bindings.v1ResumeRunsRequest(projectId=1, runIds=[run]))
        self.assertEqual(self.results(resumed), {run: ""})
        self.wait_state(exp.id, {"STATE_RUNNING"})
        self.wait_for("the second run of the trial to start",
                      lambda: sum("latest_checkpoint" in x for x in self.logs(run)) == 2)
        not_terminal = bindings.post_DeleteRuns(
            self.session, body=bindings.v1DeleteRunsRequest(projectId=1, runIds=[run]))
        self.assertEqual(self.results(not_terminal), {run: "Run is not in a terminal state."})
        killed = bindings.post_KillRuns(
            self.session, body=bindings.v1KillRunsRequest(projectId=1, runIds=[run, 999999]))
        self.assertEqual(self.results(killed),
                         {run: "", 999999: "Run with id '999999' not found"})
        self.assertEqual(self.wait_state(exp.id, {"STATE_CANCELED"}), "STATE_CANCELED")

    def test_pause_refuses_a_run_of_a_multi_trial_experiment(self) -> None:
        grid = self.finished("runs-multi", hyperparameters={
            "steps": 1, "x": {"type": "categorical", "vals": [1, 2]}},
            searcher={"name": "grid", "metric": "loss"})
        run = self.trials(grid)[0].id
        paused = bindings.post_PauseRuns(
            self.session, body=bindings.v1PauseRunsRequest(projectId=1, runIds=[run]))
        self.assertEqual(self.results(paused),
                         {run: f"Cannot pause/unpause run '{run}' (part of multi-trial)."})

    def test_archive_unarchive_move_and_delete(self) -> None:
        exp_id = self.finished("runs-archive", hyperparameters={"steps": 1})
        (run,) = [t.id for t in self.trials(exp_id)]
        mine = run_filter(("id", "=", run))
        archived = bindings.post_ArchiveRuns(
            self.session, body=bindings.v1ArchiveRunsRequest(projectId=1, runIds=[run]))
        self.assertEqual(self.results(archived), {run: ""})
        self.assertEqual(self.search(filter=mine), [])
        self.assertEqual(self.search(filter=run_filter(("id", "=", run), show_archived=True)),
                         [run])
        unarchived = bindings.post_UnarchiveRuns(
            self.session, body=bindings.v1UnarchiveRunsRequest(projectId=1, runIds=[run]))
        self.assertEqual(self.results(unarchived), {run: ""})
        self.assertEqual(self.search(filter=mine), [run])

        target = self.det.get_workspace("workspace-000").list_projects()[0].id
        moved = bindings.post_MoveRuns(self.session, body=bindings.v1MoveRunsRequest(
            destinationProjectId=target, runIds=[run], sourceProjectId=1))
        self.assertEqual(self.results(moved), {run: ""})
        self.assertEqual(self.search(project_id=target, filter=mine), [run])
        self.assertEqual(self.det.get_experiment(exp_id).project_id, target)

        wrong = bindings.post_DeleteRuns(
            self.session, body=bindings.v1DeleteRunsRequest(projectId=1, runIds=[run]))
        self.assertEqual(self.results(wrong),
                         {run: f"Run with id '{run}' not found in project with id '1'"})
        deleted = bindings.post_DeleteRuns(
            self.session, body=bindings.v1DeleteRunsRequest(projectId=target, runIds=[run]))
        self.assertEqual(self.results(deleted), {run: ""})
        self.assertEqual(self.search(project_id=target, filter=mine), [])
        self.assertEqual(self.det.list_experiments(name="runs-archive"), [])


if __name__ == "__main__":
    unittest.main()
