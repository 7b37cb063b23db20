"""Experiment lifecycle like the master's, each path driven by a Core API trial and the SDK."""
from __future__ import annotations

import csv
import datetime
import io
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from determined.common.api import bindings, errors
from determined.experimental import client

from uts.standin.coretrial import CoreTrialCase, config
from uts.standin.support import wait_for_gc

DET = str(Path(sys.executable).parent / "det")


class TestLifecycle(CoreTrialCase):
    master_options = {"scale": 10, "slots": 2}

    def test_queued_running_completed(self) -> None:
        hold = self.hold_file()
        exp = self.create(config("life-complete", hyperparameters={"hold": str(hold)}))
        trial_id = self.running_trial(exp.id)
        self.assertEqual(self.trials(exp.id)[0].state.value, "STATE_RUNNING")
        summary = bindings.get_GetExperiment(self.session, experimentId=exp.id).jobSummary
        self.assertEqual(summary.state.value, "STATE_SCHEDULED")
        hold.touch()
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        self.assertEqual(self.det.get_trial(trial_id).state.value, "STATE_COMPLETED")
        self.assertIsNone(bindings.get_GetExperiment(self.session, experimentId=exp.id).jobSummary)

    def test_cancel_preempts_the_trial_and_ends_canceled(self) -> None:
        exp = self.create(config("life-cancel", hyperparameters={"hold": str(self.hold_file())}))
        trial_id = self.running_trial(exp.id)
        exp.cancel()
        self.assertIn(self.state(exp.id), {"STATE_STOPPING_CANCELED", "STATE_CANCELED"})
        self.assertEqual(self.wait_state(exp.id, {"STATE_CANCELED"}), "STATE_CANCELED")
        self.assertEqual(self.det.get_trial(trial_id).state.value, "STATE_CANCELED")
        self.assertIn("preempted", self.logs(trial_id))  # it stopped itself, not by a signal

    def test_kill_terminates_and_ends_canceled(self) -> None:
        exp = self.create(config("life-kill", hyperparameters={"hold": str(self.hold_file())}))
        trial_id = self.running_trial(exp.id)
        exp.kill()
        self.assertEqual(self.wait_state(exp.id, {"STATE_CANCELED"}), "STATE_CANCELED")
        self.assertEqual(self.det.get_trial(trial_id).state.value, "STATE_CANCELED")
        self.assertNotIn("preempted", self.logs(trial_id))

    def test_error_after_max_restarts_counts_every_restart(self) -> None:
        exp = self.create(config("life-error", max_restarts=1,
                                 hyperparameters={"fail": "always", "steps": 1}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_ERROR")
        (trial,) = self.trials(exp.id)
        # counted to 2, read capped at max_restarts as from the master
        self.assertEqual((trial.state.value, trial.restarts), ("STATE_ERROR", 1))
        self.assertEqual(self.logs(trial.id).count("failing on purpose"), 2)

    def test_max_restarts_defaults_to_five_and_checkpoint_storage_keeps_its_policy(self) -> None:
        exp = self.create(config("life-defaults", resources={"slots_per_trial": 3},  # never runs
                                 checkpoint_storage={"type": "shared_fs", "host_path": "/tmp",
                                                     "save_trial_best": 4}))
        self.addCleanup(exp.kill)
        expanded = bindings.get_GetExperiment(self.session, experimentId=exp.id).config
        self.assertEqual(expanded["max_restarts"], 5)
        storage = expanded["checkpoint_storage"]
        self.assertEqual((storage["save_experiment_best"], storage["save_trial_best"],
                          storage["save_trial_latest"]), (0, 4, 1))

    def test_an_ended_experiment_garbage_collects_its_checkpoints_by_its_policy(self) -> None:
        # steps 1..5; the best two by loss are steps 2 and 4, the latest is step 5
        exp = self.create(config("life-gc", hyperparameters={"validations": [0.5, 0.1, 0.9, 0.3, 0.7]},
                                 checkpoint_storage={"save_experiment_best": 2,
                                                     "save_trial_best": 0,
                                                     "save_trial_latest": 1}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        wait_for_gc(self.session)
        (trial,) = self.trials(exp.id)
        root = Path(bindings.get_GetExperiment(self.session, experimentId=exp.id)
                    .config["checkpoint_storage"]["container_path"])
        states = {}
        for checkpoint in bindings.get_GetTrialCheckpoints(self.session, id=trial.id).checkpoints:
            states[checkpoint.metadata["steps_completed"]] = (
                checkpoint.state.value, (root / checkpoint.uuid).exists())
        deleted, kept = ("STATE_DELETED", False), ("STATE_COMPLETED", True)
        self.assertEqual(states, {1: deleted, 2: kept, 3: deleted, 4: kept, 5: kept})

    def test_max_restarts_retries_a_failed_trial(self) -> None:
        exp = self.create(config("life-retry", max_restarts=2,
                                 hyperparameters={"fail": "first", "steps": 1}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        (trial,) = self.trials(exp.id)
        self.assertEqual((trial.state.value, trial.restarts), ("STATE_COMPLETED", 1))
        self.assertEqual(self.logs(trial.id).count("failing on purpose"), 1)

    def test_work_that_cannot_fit_stays_queued(self) -> None:
        exp = self.create(config("life-too-big", resources={"slots_per_trial": 3}))
        # Scheduling happens while the create call is served: had it fit, it would run now.
        self.assertEqual(self.state(exp.id), "STATE_QUEUED")
        (trial,) = self.trials(exp.id)
        self.assertEqual(trial.state.value, "STATE_QUEUED")
        self.assertEqual(self.master.backend.trials.running_count(exp.id), 0)
        exp.kill()
        self.assertEqual(self.wait_state(exp.id, {"STATE_CANCELED"}), "STATE_CANCELED")

    def test_delete_removes_the_checkpoint_files_then_every_row(self) -> None:
        exp = self.create(config("life-delete", hyperparameters={"steps": 1}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        (trial,) = self.trials(exp.id)
        (checkpoint,) = bindings.get_GetTrialCheckpoints(self.session, id=trial.id).checkpoints
        root = Path(bindings.get_GetExperiment(self.session, experimentId=exp.id)
                    .config["checkpoint_storage"]["container_path"])
        self.assertTrue((root / checkpoint.uuid / "w.txt").exists())
        exp.delete()
        self.wait_for(f"experiment {exp.id} gone", lambda: self.gone(exp.id))
        self.assertFalse((root / checkpoint.uuid).exists())
        # the allocation CSV keeps who ran it, where and for which experiment
        rows = self.allocation_rows()
        self.assertIn((trial.taskId + ".1", "TRIAL", "admin", "Uncategorized", str(exp.id)),
                      [(r["allocation_id"], r["task_type"], r["username"], r["workspace_name"],
                        r["experiment_id"]) for r in rows])
        for read in (lambda: bindings.get_GetCheckpoint(self.session, checkpointUuid=checkpoint.uuid),
                     lambda: bindings.get_GetTrial(self.session, trialId=trial.id),
                     lambda: list(bindings.get_TaskLogs(self.session, taskId=trial.taskId))):
            with self.assertRaises(errors.NotFoundException):
                read()

    def test_checkpoint_download_serves_the_files_from_the_experiments_storage(self) -> None:
        storage = tempfile.TemporaryDirectory(prefix="standin-storage-")
        self.addCleanup(storage.cleanup)
        exp = self.create(config("life-download", hyperparameters={"steps": 1},
                                 checkpoint_storage={"type": "shared_fs",
                                                     "host_path": storage.name}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        (trial,) = self.trials(exp.id)
        checkpoint = self.det.get_checkpoint(trial.bestCheckpoint.uuid)
        target = Path(storage.name, "downloaded")
        checkpoint.download(str(target), mode=client.DownloadMode.MASTER)
        self.assertEqual((target / "w.txt").read_text(), "w")

    def allocation_rows(self) -> list[dict[str, str]]:
        now = datetime.datetime.now(datetime.timezone.utc)
        window = [(now + datetime.timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ")
                  for m in (-10, 1)]
        response = self.session.get("resources/allocation/allocations-csv", params={
            "timestamp_after": window[0], "timestamp_before": window[1]})
        return list(csv.DictReader(io.StringIO(response.text)))

    def test_continue_reruns_the_trial_with_the_override_config(self) -> None:
        exp = self.create(config("life-continue", max_restarts=0,
                                 hyperparameters={"need_env": "LET_ME_PASS"}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_ERROR")
        (before,) = self.trials(exp.id)
        override = Path(self.hold_file().parent, "override.yaml")
        override.write_text("environment:\n  environment_variables: [LET_ME_PASS=1]\n")
        continued = subprocess.run(  # the real CLI, logged in by the SDK's token store
            [DET, "-m", self.url, "-u", "admin", "experiment", "continue", str(exp.id),
             "--config-file", str(override)], capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL)
        self.assertEqual(continued.returncode, 0, continued.stderr)
        self.assertIn(f"Continued experiment {exp.id}", continued.stdout)
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        (after,) = self.trials(exp.id)
        self.assertEqual((after.id, after.state.value, after.restarts),
                         (before.id, "STATE_COMPLETED", 0))
        # it ran as a new task, named as the master names it; the trial's logs hold both
        (first,) = before.taskIds
        self.assertEqual(after.taskIds, [first, f"{first}-1"])
        task = bindings.get_GetTask(self.session, taskId=f"{first}-1").task
        self.assertGreater(task.startTime, before.endTime)
        self.assertEqual(self.logs(after.id).count("latest_checkpoint None"), 2)
        with self.assertRaises(errors.APIException) as raised:  # a running one cannot continue
            hold = self.hold_file()
            running = self.create(config("life-busy", hyperparameters={"hold": str(hold)}))
            self.addCleanup(hold.touch)
            bindings.post_ContinueExperiment(
                self.session, body=bindings.v1ContinueExperimentRequest(id=running.id))
        self.assertIn("experiment in non terminal state 'ACTIVE'", str(raised.exception))

    def failing_with_policy(self, action: str, marker: str) -> bindings.trialv1Trial:
        """A trial that prints ``marker`` and fails, under a policy ``action`` on it."""
        policies = [{"name": f"{action}-policy", "pattern": f"{marker}-[0-9]+",
                     "action": {"type": action}}]
        exp = self.create(config(f"life-{action}", max_restarts=3, log_policies=policies,
                                 hyperparameters={"say": f"{marker}-42", "fail": "always",
                                                  "steps": 1}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_ERROR")
        (trial,) = self.trials(exp.id)
        self.assertEqual(trial.logPolicyMatched, f"{action}-policy")
        self.assertEqual(self.logs(trial.id).count("failing on purpose"), 1)  # no retry
        return trial

    def test_log_policy_cancel_retries_stops_retrying(self) -> None:
        self.assertEqual(self.failing_with_policy("cancel_retries", "BOOM").restarts, 0)

    def test_log_policy_exclude_node_leaves_no_node_to_retry_on(self) -> None:
        # The master counts the restart, then finds no node left that it may use.
        self.assertEqual(self.failing_with_policy("exclude_node", "NODE-SICK").restarts, 1)

    def test_config_gets_the_default_log_policies_and_bad_patterns_are_refused(self) -> None:
        mine = {"name": "CUDA OOM", "pattern": "my own OOM", "action": {"type": "cancel_retries"}}
        exp = self.create(config("life-policy-defaults", log_policies=[mine],
                                 resources={"slots_per_trial": 3}))  # never runs
        self.addCleanup(exp.kill)
        policies = bindings.get_GetExperiment(self.session, experimentId=exp.id).config["log_policies"]
        self.assertEqual(policies, [mine, {"name": "ECC Error",
                                           "pattern": ".*uncorrectable ECC error encountered.*"}])
        with self.assertRaises(errors.APIException) as raised:
            self.create(config("life-bad-policy", log_policies=[{"name": "x", "pattern": "("}]))
        self.assertIn("is not a valid regex", str(raised.exception))

    def test_warm_start_hands_the_checkpoint_to_the_trial(self) -> None:
        source = self.create(config("life-source", hyperparameters={"steps": 1}))
        self.assertEqual(self.wait_state(source.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        (checkpoint,) = source.list_checkpoints()
        exp = self.create(config("life-warm", hyperparameters={"steps": 1},
                                 searcher={"name": "single", "metric": "loss",
                                           "source_checkpoint_uuid": checkpoint.uuid}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        (trial,) = self.trials(exp.id)
        self.assertEqual(trial.warmStartCheckpointUuid, checkpoint.uuid)
        self.assertIn(f"latest_checkpoint {checkpoint.uuid}", self.logs(trial.id))

    def test_shared_fs_host_path_receives_the_checkpoints(self) -> None:
        host = tempfile.TemporaryDirectory(prefix="standin-shared-fs-")
        self.addCleanup(host.cleanup)
        storage = {"type": "shared_fs", "host_path": host.name, "storage_path": "ckpts"}
        exp = self.create(config("life-shared-fs", checkpoint_storage=storage,
                                 hyperparameters={"steps": 1}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        (checkpoint,) = exp.list_checkpoints()
        self.assertEqual(Path(host.name, "ckpts", checkpoint.uuid, "w.txt").read_text(), "w")
        escaping = dict(storage, storage_path="../elsewhere")
        with self.assertRaises(errors.APIException) as raised:
            self.create(config("life-escape", checkpoint_storage=escaping))
        self.assertIn("storage path must be a subdirectory of host path", str(raised.exception))


class TestBulkActions(CoreTrialCase):
    master_options = {"scale": 10, "slots": 2}

    def bulk(self, action: str, ids: list[int], name: str | None = None) -> dict[int, str]:
        """One project-level bulk call through its binding; ``name`` filters instead of ids."""
        verb = action.capitalize()
        method = "delete" if action == "delete" else "post"
        request = getattr(bindings, f"v1{verb}ExperimentsRequest")(
            experimentIds=ids, projectId=1,
            filters=None if name is None else bindings.v1BulkExperimentFilters(name=name))
        response = getattr(bindings, f"{method}_{verb}Experiments")(
            self.session, projectId=1, body=request)
        return {r.id: r.error for r in response.results}

    def test_bulk_kill_by_ids_reports_each_experiment(self) -> None:
        holds = [self.hold_file(), self.hold_file()]
        ids = [self.create(config(f"bulk-kill-{i}", hyperparameters={"hold": str(h)})).id
               for i, h in enumerate(holds)]
        self.assertEqual(self.bulk("kill", [*ids, 999999]), {
            ids[0]: "", ids[1]: "",
            999999: "rpc error: code = NotFound desc = experiment '999999' not found"})
        for exp_id in ids:
            self.assertEqual(self.wait_state(exp_id, {"STATE_CANCELED"}), "STATE_CANCELED")

    def test_bulk_cancel_by_filter_preempts_the_matching_experiment(self) -> None:
        exp = self.create(config("bulk-cancel-target",
                                 hyperparameters={"hold": str(self.hold_file())}))
        trial_id = self.running_trial(exp.id)
        self.assertEqual(self.bulk("cancel", [], name="bulk-cancel-target"), {exp.id: ""})
        self.assertEqual(self.wait_state(exp.id, {"STATE_CANCELED"}), "STATE_CANCELED")
        self.assertIn("preempted", self.logs(trial_id))

    def test_bulk_archive_by_filter_then_pause_refuses_terminal_experiments(self) -> None:
        exp = self.create(config("bulk-archive-target", hyperparameters={"steps": 1}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        self.assertEqual(self.bulk("archive", [], name="bulk-archive-target"), {exp.id: ""})
        self.assertTrue(self.det.get_experiment(exp.id).archived)
        precondition = "rpc error: code = FailedPrecondition desc = "
        self.assertEqual(self.bulk("archive", [exp.id]),
                         {exp.id: precondition + "Experiment is already archived."})
        self.assertEqual(self.bulk("unarchive", [exp.id]), {exp.id: ""})
        self.assertFalse(self.det.get_experiment(exp.id).archived)
        self.assertEqual(self.bulk("pause", [exp.id]),
                         {exp.id: precondition + "experiment in terminal state"})
        self.assertEqual(self.bulk("delete", [exp.id]), {exp.id: ""})
        self.wait_for(f"experiment {exp.id} gone", lambda: self.gone(exp.id))


if __name__ == "__main__":
    unittest.main()
