"""Read paths of the real SDK's high-level client over the seed data."""
from __future__ import annotations

import unittest
import warnings

from determined.experimental import client

from uts.standin.support import MasterTestCase, quiet


class TestSdkReads(MasterTestCase):
    master_options = {"scale": 30}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        with quiet():
            cls.det = client.Determined(cls.url, "admin", "")

    def test_users_workspaces_projects(self) -> None:
        self.assertEqual([u.username for u in self.det.list_users()][:2], ["admin", "determined"])
        workspaces = self.det.list_workspaces()
        self.assertEqual(workspaces[0].name, "Uncategorized")
        projects = self.det.get_workspace("workspace-000").list_projects()
        self.assertEqual(len(projects), 2)

    def test_models_versions_and_checkpoints(self) -> None:
        model = self.det.get_model("model-0001")
        versions = model.list_versions()
        self.assertEqual(sorted(v.model_version for v in versions), [1, 2])
        checkpoint = versions[0].checkpoint
        self.assertIsNotNone(checkpoint)
        fetched = self.det.get_checkpoint(checkpoint.uuid)
        self.assertEqual(fetched.training.experiment_id, checkpoint.training.experiment_id)
        with warnings.catch_warnings():  # the SDK's own default argument is deprecated
            warnings.simplefilter("ignore", FutureWarning)
            self.assertTrue(self.det.list_models())

    def test_experiment_trial_and_checkpoint_lists(self) -> None:
        experiment = self.det.get_experiment(1)
        self.assertEqual(experiment.state, client.ExperimentState.COMPLETED)
        trials = list(experiment.iter_trials())
        self.assertEqual(len(trials), 2)
        trial = self.det.get_trial(trials[0].id)
        self.assertEqual(len(trial.list_checkpoints()), 1)
        self.assertEqual(len(list(trial.iter_metrics("training"))), 4)
        self.assertEqual(sorted(c.uuid for c in experiment.list_checkpoints()),
                         sorted(c.uuid for t in trials for c in self.det.get_trial(t.id).list_checkpoints()))


if __name__ == "__main__":
    unittest.main()
