"""Checkpoint order, best vs latest selection and deletion through the real SDK and CLI."""
from __future__ import annotations

import unittest
import warnings

from determined.common.api import bindings, errors
from determined.experimental import client

from uts.standin.det_cli import ClientTestCase

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


class TestCheckpointDeletion(ClientTestCase):
    uses_cli = True

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.master.call(_add_fixture_trial)

    def test_partial_delete_by_globs(self) -> None:
        checkpoint = self.det.get_checkpoint(REPORTS[100][2])
        checkpoint.remove_files(["*.pth"])
        checkpoint.reload()
        self.assertEqual(checkpoint.state, client.CheckpointState.PARTIALLY_DELETED)
        self.assertEqual(sorted(checkpoint.resources), ["logs/", "logs/events.txt"])
        self.cli.ok("checkpoint", "rm", REPORTS[100][2], "--glob", "logs/**", "--yes")
        checkpoint.reload()
        self.assertEqual(sorted(checkpoint.resources), ["logs/"])

    def test_full_delete_through_the_cli(self) -> None:
        out = self.cli.ok("checkpoint", "delete", REPORTS[300][2], "--yes")
        self.assertIn("in progress", out)
        checkpoint = self.det.get_checkpoint(REPORTS[300][2])
        self.assertEqual(checkpoint.state, client.CheckpointState.DELETED)
        self.assertEqual(checkpoint.resources, {})

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
