"""Unmanaged (detached-mode) experiments and trials, driven by the real ``core_v2`` SDK, and
``POST /api/v1/workspaces``."""
from __future__ import annotations

import tempfile
import unittest

import requests
from determined import core
from determined.common.api import bindings, errors
from determined.experimental import client, core_v2

from uts.standin.support import MasterTestCase, quiet


class TestUnmanaged(MasterTestCase):
    master_options = {"scale": 10}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        with quiet():
            cls.det = client.Determined(cls.url, "admin", "")
        cls.storage = tempfile.TemporaryDirectory(prefix="standin-unmanaged-")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.storage.cleanup()
        super().tearDownClass()

    def _context(self, **config: object) -> object:
        return core_v2.init_context(config=core_v2.Config(**config), client=self.det,
                                    checkpoint_storage=self.storage.name,
                                    # no TensorFlow/PyTorch here: no automatic TensorBoard writer
                                    tensorboard_mode=core.TensorboardMode.MANUAL)

    def test_a_trial_reports_and_completes(self) -> None:
        with quiet(), self._context(name="detached", hparams={"lr": 0.1}) as ctx:
            trial_id = ctx.info.trial.trial_id
            experiment_id = ctx.info.trial.experiment_id
            self.assertEqual(self.det.get_trial(trial_id).state, client.TrialState.RUNNING)
            for step in (1, 2, 3):
                ctx.train.report_training_metrics(steps_completed=step, metrics={"loss": 1 / step})
            ctx.train.report_validation_metrics(steps_completed=3, metrics={"unmanaged": 0.5})
            with ctx.checkpoint.store_path({"steps_completed": 3}) as (path, uuid):
                (path / "weights").write_text("w")
            print("a line from the detached trial")
        experiment = self.det.get_experiment(experiment_id)
        self.assertEqual(experiment.state, client.ExperimentState.COMPLETED)
        self.assertEqual(experiment.name, "detached")
        trial = self.det.get_trial(trial_id)
        self.assertEqual(trial.state, client.TrialState.COMPLETED)
        self.assertEqual(trial.hparams, {"lr": 0.1})
        self.assertEqual([m.steps_completed for m in trial.iter_metrics("training")], [1, 2, 3])
        self.assertEqual([c.uuid for c in trial.list_checkpoints()], [uuid])
        self.assertIn("a line from the detached trial",
                      "".join(str(line) for line in trial.iter_logs()))

    def test_an_exception_ends_the_trial_in_error(self) -> None:
        with quiet(), self.assertRaises(RuntimeError):
            with self._context(name="failing") as ctx:
                trial_id = ctx.info.trial.trial_id
                raise RuntimeError("boom")
        self.assertEqual(self.det.get_trial(trial_id).state, client.TrialState.ERROR)
        experiment = self.det.get_experiment(self.det.get_trial(trial_id).experiment_id)
        self.assertEqual(experiment.state, client.ExperimentState.ERROR)

    def test_external_ids_put_the_same_experiment_and_trial(self) -> None:
        ids = []
        for _ in range(2):
            with quiet(), self._context(name="external", external_experiment_id="ext-exp-1",
                                        external_trial_id="ext-trial-1") as ctx:
                ids.append((ctx.info.trial.experiment_id, ctx.info.trial.trial_id,
                            ctx.info.trial._trial_run_id))
        (exp1, trial1, run1), (exp2, trial2, run2) = ids
        self.assertEqual((exp1, trial1), (exp2, trial2))
        self.assertEqual((run1, run2), (1, 2))  # the second start resumes the trial
        self.assertEqual(len(self.det.get_experiment(exp1).list_trials()), 1)
        raw = bindings.get_GetExperiment(self.det._session, experimentId=exp1).experiment
        self.assertEqual((raw.unmanaged, raw.externalExperimentId), (True, "ext-exp-1"))

    def test_a_trial_starts_once_unless_resumed(self) -> None:
        exp_id = bindings.post_CreateExperiment(self.det._session, body=bindings.v1CreateExperimentRequest(
            config="name: bare\nsearcher: {name: single, metric: x}\n", unmanaged=True)).experiment.id
        self.assertEqual(self.det.get_experiment(exp_id).state, client.ExperimentState.PAUSED)
        trial = bindings.post_CreateTrial(self.det._session, body=bindings.v1CreateTrialRequest(
            experimentId=exp_id, unmanaged=True)).trial
        self.assertEqual(trial.state, bindings.trialv1State.PAUSED)
        start = bindings.v1StartTrialRequest(trialId=trial.id, resume=False)
        first = bindings.post_StartTrial(self.det._session, body=start, trialId=trial.id)
        self.assertEqual(first.trialRunId, 1)
        with self.assertRaises(errors.APIException) as again:
            bindings.post_StartTrial(self.det._session, body=start, trialId=trial.id)
        self.assertIn("already been started", str(again.exception))
        self.assertEqual(self.det.get_experiment(exp_id).state, client.ExperimentState.RUNNING)

    def test_trials_only_on_unmanaged_experiments(self) -> None:
        session = self.login()
        made = session.post(f"{self.url}/api/v1/experiments", json={
            "config": "name: managed\nentrypoint: python3 x.py\n", "activate": False,
            "modelDefinition": [{"path": "x.py", "type": 1, "content": "", "mode": 420,
                                 "uid": 0, "gid": 0, "mtime": 0}]})
        self.assertEqual(made.status_code, 200, made.text)
        answer = session.post(f"{self.url}/api/v1/trials", json={
            "experimentId": made.json()["experiment"]["id"], "unmanaged": True})
        self.assertEqual(answer.status_code, 500)
        self.assertEqual(answer.json()["code"], 2)
        self.assertIn("only be created on unmanaged", answer.json()["message"])
        put = session.put(f"{self.url}/api/v1/experiments/by-external-id/x",
                          json={"config": "name: x\n"})
        self.assertEqual(put.status_code, 500)
        self.assertIn("only unmanaged experiments", put.json()["message"])


class TestUnmanagedBadInput(MasterTestCase):
    master_options = {"scale": 10}

    def test_bad_states_logs_and_put_bodies_are_400(self) -> None:
        session = self.login()
        made = session.post(f"{self.url}/api/v1/experiments", json={
            "config": "name: bad-input\n", "unmanaged": True}).json()["experiment"]
        trial = session.post(f"{self.url}/api/v1/trials", json={
            "experimentId": made["id"], "unmanaged": True}).json()["trial"]
        answers = [
            session.patch(f"{self.url}/api/v1/trials/{trial['id']}", json={"state": "DONE"}),
            session.post(f"{self.url}/task-logs", json={"log": "no list"}),
            session.post(f"{self.url}/task-logs", json=[{"log": "no task id"}]),
            session.put(f"{self.url}/api/v1/trials", json={"externalTrialId": "x"}),
        ]
        self.assertEqual([a.status_code for a in answers], [400, 400, 400, 400])
        self.assertEqual(session.get(f"{self.url}/api/v1/trials/{trial['id']}")
                         .json()["trial"]["state"], "STATE_PAUSED")
        self.assertEqual(session.post(f"{self.url}/task-logs", json=[]).status_code, 200)
        self.assertEqual(requests.post(f"{self.url}/task-logs", json=[], timeout=10).status_code,
                         401)


class TestPostWorkspace(MasterTestCase):
    master_options = {"scale": 10}

    def test_create_then_conflict_ignoring_case(self) -> None:
        with quiet():
            det = client.Determined(self.url, "admin", "")
        workspace = det.create_workspace("Team A")
        self.assertEqual(det.get_workspace("Team A").id, workspace.id)
        session = self.login()
        answer = session.post(f"{self.url}/api/v1/workspaces", json={"name": "team a"})
        self.assertEqual(answer.status_code, 409)
        self.assertEqual(answer.json()["code"], 6)
        for name in ("", "   ", "x" * 81):
            with self.subTest(name=name):
                answer = session.post(f"{self.url}/api/v1/workspaces", json={"name": name})
                self.assertEqual(answer.status_code, 400)
        created = session.post(f"{self.url}/api/v1/workspaces", json={"name": "Team B"}).json()
        self.assertTrue(created["workspace"]["pinned"])


if __name__ == "__main__":
    unittest.main()
