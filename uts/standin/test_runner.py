"""Experiments really run: trials are subprocesses using the real Core API."""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import textwrap
import threading
import time
import unittest
import warnings
from pathlib import Path

import requests
from determined.experimental import client

from uts.standin.support import MasterTestCase, quiet

TRAIN_PY = textwrap.dedent('''
    import json, os, sys, time
    import requests
    import determined as det
    from determined import core

    info = det.get_cluster_info()
    assert info is not None, "no ClusterInfo: the bootstrap did not run"
    hp = info.trial.hparams
    print("hparams", json.dumps(hp, sort_keys=True), flush=True)
    with core.init(tensorboard_mode=core.TensorboardMode.MANUAL) as ctx:
        for step in range(1, hp["steps"] + 1):
            ctx.train.report_training_metrics(steps_completed=step,
                                              metrics={"loss": 1.0 / step, "x": hp["x"]})
        ctx.train.report_validation_metrics(steps_completed=hp["steps"],
                                            metrics={"validation_loss": hp["x"] / 10})
        with ctx.checkpoint.store_path({"steps_completed": hp["steps"]}) as (path, uuid):
            (path / "weights.txt").write_text("w")
        # Read back with the task's own token, as the metric-latency probe does.
        url = os.environ["DET_MASTER"] + "/api/v1/trials/metrics/trial_metrics"
        headers = {"Grpc-Metadata-x-allocation-token": "Bearer " + os.environ["DET_SESSION_TOKEN"]}
        for _ in range(100):  # reports ship asynchronously: poll until all are visible
            got = requests.get(url, params={"trialIds": info.trial.trial_id, "group": "training"},
                               headers=headers, timeout=30)
            count = sum(len(json.loads(x)["result"]["metrics"]) for x in got.text.splitlines() if x)
            if count >= hp["steps"]:
                break
            time.sleep(0.05)
        print("readback", count, flush=True)
        for _ in range(int(hp.get("wait_preempt", 0) * 10)):
            if ctx.preempt.should_preempt():
                print("preempted", flush=True)
                break
            time.sleep(0.1)
    if hp.get("fail"):
        print("failing on purpose", file=sys.stderr, flush=True)
        sys.exit(1)
''')


def config(**hyperparameters: object) -> dict:
    space = {"x": {"type": "int", "minval": 1, "maxval": 3, "count": 3}, "steps": 4, "fail": False}
    space.update(hyperparameters)
    return {"name": "runner-test", "entrypoint": "python3 train.py", "hyperparameters": space,
            "searcher": {"name": "grid", "metric": "validation_loss", "max_concurrent_trials": 3}}


class TestRunner(MasterTestCase):
    master_options = {"scale": 10}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.model_dir = tempfile.TemporaryDirectory(prefix="standin-model-")
        Path(cls.model_dir.name, "train.py").write_text(TRAIN_PY)
        with quiet():
            client.login(cls.url, "admin", "")

    @classmethod
    def tearDownClass(cls) -> None:
        client.logout()
        cls.model_dir.cleanup()
        super().tearDownClass()

    def create(self, cfg: dict) -> client.Experiment:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # pathspec, inside the SDK
            return client.create_experiment(config=cfg, model_dir=self.model_dir.name)

    def wait(self, exp: client.Experiment, timeout: float = 90) -> client.ExperimentState:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            exp.reload()
            if exp.state.value in ("STATE_COMPLETED", "STATE_ERROR", "STATE_CANCELED"):
                return exp.state
            time.sleep(0.2)
        self.fail(f"experiment {exp.id} still {exp.state} after {timeout}s")

    def logs(self, trial_id: int) -> list[str]:
        session = self.login()
        response = session.get(f"{self.url}/api/v1/trials/{trial_id}/logs", timeout=30)
        return [json.loads(line)["result"]["log"] for line in response.text.splitlines() if line]

    def test_three_concurrent_trials_complete_with_exactly_their_metrics(self) -> None:
        peak = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                peak.append(requests.get(f"{self.url}/standin/health", timeout=5).json()["runningTrials"])
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            exp = self.create(config())
            self.assertEqual(exp.wait(interval=0.2), client.ExperimentState.COMPLETED)
        finally:
            stop.set()
            watcher.join()
        self.assertLessEqual(max(peak), 3)
        trials = list(exp.iter_trials())
        self.assertEqual(sorted(t.hparams["x"] for t in trials), [1, 2, 3])
        for trial in trials:
            self.assertEqual(trial.state, client.TrialState.COMPLETED)
            training = list(trial.iter_metrics("training"))
            self.assertEqual([m.steps_completed for m in training], [1, 2, 3, 4])
            self.assertEqual([m.metrics["loss"] for m in training], [1.0, 0.5, 1 / 3, 0.25])
            self.assertTrue(all(m.metrics["x"] == trial.hparams["x"] for m in training))
            validation = list(trial.iter_metrics("validation"))
            self.assertEqual([m.metrics for m in validation],
                             [{"validation_loss": trial.hparams["x"] / 10}])
            self.assertIn("readback 4", self.logs(trial.id))
            self.assertEqual(trial.summary_metrics["avg_metrics"]["loss"]["count"], 4)
        checkpoints = exp.list_checkpoints()
        self.assertEqual(len(checkpoints), 3)

    def test_trial_that_exits_1_gives_error(self) -> None:
        cfg = {**config(x=1, fail=True, steps=1), "max_restarts": 0}
        exp = self.create(cfg)
        self.assertEqual(exp.wait(interval=0.2), client.ExperimentState.ERROR)
        (trial,) = list(exp.iter_trials())
        self.assertEqual(trial.state, client.TrialState.ERROR)
        self.assertIn("failing on purpose", self.logs(trial.id))

    def test_kill_terminates_the_processes(self) -> None:
        cfg = config(x=1, steps=1, wait_preempt=60)
        exp = self.create(cfg)
        deadline = time.monotonic() + 60
        trial_id = self._trial(exp)
        while time.monotonic() < deadline and not any("readback" in x for x in self.logs(trial_id)):
            time.sleep(0.2)
        exp.kill()
        self.assertEqual(self.wait(exp, timeout=30), client.ExperimentState.CANCELED)
        self.assertEqual(requests.get(f"{self.url}/standin/health", timeout=5).json()["runningTrials"], 0)
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
        markers = {f"DET_TRIAL_ID={trial_id}".encode(), f"DAIST_STANDIN_PID={os.getpid()}".encode()}
        for pid in pids:
            try:
                environ = set(Path("/proc", pid, "environ").read_bytes().split(b"\0"))
            except OSError:
                continue
            self.assertFalse(markers <= environ, f"trial process {pid} survived the kill")

    def test_preemption_long_poll_is_held_and_fired(self) -> None:
        exp = self.create(config(x=1, steps=1, wait_preempt=60))
        trial_id = self._trial(exp)
        session = self.login()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("readback" in x for x in self.logs(trial_id)):
            time.sleep(0.2)
        task = session.get(f"{self.url}/api/v1/trials/{trial_id}", timeout=10).json()["trial"]["taskId"]
        allocation = f"{task}.1"
        started = time.monotonic()
        held = session.get(f"{self.url}/api/v1/allocations/{allocation}/signals/preemption",
                           params={"timeout_seconds": 1}, timeout=10).json()
        self.assertEqual(held, {"preempt": False})
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        fired = session.post(f"{self.url}/standin/allocations/{allocation}/preempt", timeout=10)
        self.assertEqual(fired.status_code, 200)
        self.assertEqual(exp.wait(interval=0.2), client.ExperimentState.COMPLETED)
        self.assertIn("preempted", self.logs(trial_id))

    def _trial(self, exp: client.Experiment) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            trials = list(exp.iter_trials())
            if trials:
                return trials[0].id
            time.sleep(0.1)
        self.fail("no trial appeared")


if __name__ == "__main__":
    unittest.main()
