"""Checkpoint order, best vs latest selection and deletion through the real SDK and CLI."""
from __future__ import annotations

import unittest
import warnings

from determined.common.api import bindings, errors
from determined.experimental import client

from uts.standin.det_cli import ClientTestCase
from uts.standin.support import wait_for_gc

# One fixture trial of experiment 1 (searcher metric validation_loss, smaller is better):
# steps -> (validation_loss, accuracy, checkpoint uuid)
REPORTS = {100: (0.5, 0.7, "cccccccc-0000-4000-8000-000000000100"),
           200: (0.2, 0.6, "aaaaaaaa-0000-4000-8000-000000000200"),
           300: (0.9, 0.9, "bbbbbbbb-0000-4000-8000-000000000300")}
RESOURCES = {"state_dict.pth": "1000", "optimizer.pth": "500", "logs/": "0",
             "logs/events.txt": "20"}


def _add_fixture_trial(backend) -> int:
    store = backend.store
    trial_id = store.add_trial(experiment_id=1, hparams={"lr": 0.1}, task_id="fixture-task")
    for steps, (loss, accuracy, uuid) in REPORTS.items():
        store.add_metrics(trial_id, group="validation", body={
            "trialRunId": 1, "stepsCompleted": steps,
            "metrics": {"avgMetrics": {"validation_loss": loss, "accuracy": accuracy}}})
        store.add_checkpoint({"uuid": uuid, "state": "STATE_COMPLETED", "resources": RESOURCES,
                              "metadata": {"steps_completed": steps},
                              "reportTime": f"2024-06-01T00:00:0{steps // 100}Z"},
                             trial_id=trial_id)
    return trial_id


class TestCheckpointOrder(ClientTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.trial = cls.det.get_trial(cls.master.call(_add_fixture_trial))

    def uuids(self, checkpoints) -> list[str]:
        return [c.uuid for c in checkpoints]

    def test_sort_by_uuid_both_ways(self) -> None:
        by_uuid = sorted(uuid for _, _, uuid in REPORTS.values())
        self.assertEqual(self.uuids(self.trial.list_checkpoints(
            sort_by=client.CheckpointSortBy.UUID, order_by=client.OrderBy.ASC)), by_uuid)
        self.assertEqual(self.uuids(self.trial.list_checkpoints(
            sort_by=client.CheckpointSortBy.UUID, order_by=client.OrderBy.DESC)), by_uuid[::-1])

    def test_sort_by_a_validation_metric_and_by_batch_number(self) -> None:
        by_accuracy = self.trial.list_checkpoints(sort_by="accuracy", order_by=client.OrderBy.DESC)
        self.assertEqual(self.uuids(by_accuracy), [REPORTS[s][2] for s in (300, 100, 200)])
        by_batches = self.trial.list_checkpoints(sort_by=client.CheckpointSortBy.BATCH_NUMBER,
                                                 order_by=client.OrderBy.ASC)
        self.assertEqual(self.uuids(by_batches), [REPORTS[s][2] for s in (100, 200, 300)])

    def test_best_and_latest_are_different_checkpoints(self) -> None:
        with warnings.catch_warnings():  # the SDK deprecates these selectors itself
            warnings.simplefilter("ignore", FutureWarning)
            self.assertEqual(self.trial.select_checkpoint(latest=True).uuid, REPORTS[300][2])
            self.assertEqual(self.trial.select_checkpoint(best=True).uuid, REPORTS[200][2])
            worst = self.trial.select_checkpoint(best=True, sort_by="validation_loss",
                                                 smaller_is_better=False)
            self.assertEqual(worst.uuid, REPORTS[300][2])
            self.assertEqual(self.trial.top_checkpoint().uuid, REPORTS[200][2])
        checkpoint = self.det.get_checkpoint(REPORTS[200][2])
        self.assertEqual(checkpoint.training.validation_metrics["avgMetrics"]["validation_loss"],
                         0.2)

    def test_experiment_list_puts_the_best_first(self) -> None:
        experiment = self.det.get_experiment(1)
        listed = experiment.list_checkpoints()
        losses = [c.training.validation_metrics["avgMetrics"]["validation_loss"] for c in listed]
        self.assertEqual(losses, sorted(losses))
        self.assertEqual(listed[0].uuid, REPORTS[200][2])
        top = experiment.list_checkpoints(max_results=1, sort_by="validation_loss",
                                          order_by=client.OrderBy.DESC)
        self.assertEqual(top[0].uuid, REPORTS[300][2])


def _fixture_experiment_on_disk(backend) -> int:
    """An experiment whose storage is in the work dir, with the fixture trial's checkpoints
    written there as files (``RESOURCES``), so a GC task has real files to delete."""
    store = backend.store
    storage = backend.work_dir / "fixture-checkpoints"
    config = {"name": "fixture", "searcher": {"name": "single", "metric": "validation_loss"},
              "checkpoint_storage": {"type": "directory", "container_path": str(storage)}}
    exp_id = store.add_experiment(project_id=1, user_id=1, config_id=store.add_config(config, ""),
                                  model_def_id=store.add_model_def([]), config=config,
                                  state="STATE_COMPLETED")
    trial_id = store.add_trial(experiment_id=exp_id, hparams={}, task_id=f"{exp_id}.fixture")
    for steps, (loss, accuracy, uuid) in REPORTS.items():
        store.add_checkpoint({"uuid": uuid, "state": "STATE_COMPLETED", "resources": RESOURCES,
                              "metadata": {"steps_completed": steps}}, trial_id=trial_id)
        for name, size in RESOURCES.items():
            path = storage / uuid / name
            if name.endswith("/"):
                path.mkdir(parents=True, exist_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"x" * int(size))
    return exp_id


class TestCheckpointMetadata(ClientTestCase):
    def test_add_and_remove_metadata_through_the_sdk(self) -> None:
        uuid = self.det.get_experiment(1).list_trials()[0].top_checkpoint().uuid
        checkpoint = self.det.get_checkpoint(uuid)
        checkpoint.add_metadata({"newkey": "newvalue"})
        self.assertEqual(self.det.get_checkpoint(uuid).metadata["newkey"], "newvalue")
        checkpoint.remove_metadata(["newkey"])
        stored = self.det.get_checkpoint(uuid).metadata
        self.assertNotIn("newkey", stored)
        self.assertIn("steps_completed", stored)


class TestCheckpointDeletion(ClientTestCase):
    """Deletion runs Determined's GC entrypoint in a task that deletes the files and reports
    what is left; reads change when that task ends, as with the master."""
    uses_cli = True

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.master.call(_fixture_experiment_on_disk)
        cls.storage = cls.master.call(lambda b: b.work_dir / "fixture-checkpoints")

    def test_partial_delete_by_globs(self) -> None:
        uuid = REPORTS[100][2]
        checkpoint = self.det.get_checkpoint(uuid)
        checkpoint.remove_files(["*.pth"])
        wait_for_gc(self.session)
        checkpoint.reload()
        self.assertEqual(checkpoint.state, client.CheckpointState.PARTIALLY_DELETED)
        self.assertEqual(sorted(checkpoint.resources), ["logs/", "logs/events.txt"])
        self.assertFalse((self.storage / uuid / "state_dict.pth").exists())
        self.cli.ok("checkpoint", "rm", uuid, "--glob", "logs/**", "--yes")
        wait_for_gc(self.session)
        checkpoint.reload()  # nothing left: DELETED (the master keeps the last file list)
        self.assertEqual(checkpoint.state, client.CheckpointState.DELETED)
        self.assertFalse((self.storage / uuid / "logs").exists())

    def test_full_delete_through_the_cli(self) -> None:
        uuid = REPORTS[300][2]
        out = self.cli.ok("checkpoint", "delete", uuid, "--yes")
        self.assertIn("in progress", out)
        wait_for_gc(self.session)
        checkpoint = self.det.get_checkpoint(uuid)
        self.assertEqual(checkpoint.state, client.CheckpointState.DELETED)
        self.assertFalse((self.storage / uuid).exists())

    def test_bad_globs_and_registered_checkpoints_are_refused(self) -> None:
        session = self.session
        for globs in ([""], ["../escape"]):
            with self.subTest(globs=globs), self.assertRaises(errors.APIException):
                bindings.post_CheckpointsRemoveFiles(session, body=bindings.v1CheckpointsRemoveFilesRequest(
                    checkpointUuids=[REPORTS[200][2]], checkpointGlobs=globs))
        registered = self.det.get_model("model-0001").get_version(1).checkpoint.uuid
        with self.assertRaises(errors.APIException) as caught:
            self.det.get_checkpoint(registered).delete()
        self.assertIn("model registry", str(caught.exception))
        self.assertEqual(self.det.get_checkpoint(registered).state,
                         client.CheckpointState.COMPLETED)
        with self.assertRaises(errors.NotFoundException):
            bindings.delete_DeleteCheckpoints(session, body=bindings.v1DeleteCheckpointsRequest(
                checkpointUuids=["00000000-0000-4000-8000-000000000000"]))


if __name__ == "__main__":
    unittest.main()
