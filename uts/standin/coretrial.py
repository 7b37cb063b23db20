"""A tiny Core API trial and a test case that runs it on a stand-in through the real SDK.

The trial (hyperparameters steer it): ``say`` prints a line; reports ``steps`` training
metrics and a checkpoint; with ``hold`` it waits (at most 60 s) until the file ``hold`` names
exists or the master preempts it; ``fail`` = ``always`` exits 1, ``first`` exits 1 on its
first run only; ``need_env`` exits 1 unless that variable is set; ``validations`` (a list)
reports each as step i's validation ``loss`` with a checkpoint at step i, and nothing else. It calls ``core.init()``
in its default (AUTO) TensorBoard mode, which needs a metric writer.
"""
from __future__ import annotations

import contextlib
import io
import tempfile
import textwrap
import warnings
from pathlib import Path
from typing import Any, Callable

from determined.common.api import bindings, errors
from determined.experimental import client

from uts.standin.support import MasterTestCase, quiet, wait_until

TRIAL_PY = textwrap.dedent('''
    import os, sys, time
    import determined as det
    from determined import core

    info = det.get_cluster_info()
    hp = info.trial.hparams
    if hp.get("say"):
        print(hp["say"], flush=True)
    print("latest_checkpoint", info.latest_checkpoint, flush=True)
    if hp.get("need_env") and hp["need_env"] not in os.environ:
        sys.exit(1)
    with core.init() as ctx:
        for step, value in enumerate(hp.get("validations", []), start=1):
            ctx.train.report_validation_metrics(steps_completed=step, metrics={"loss": value})
            with ctx.checkpoint.store_path({"steps_completed": step}) as (path, _):
                (path / "w.txt").write_text("w")
        if hp.get("validations"):
            sys.exit(0)
        for step in range(1, hp.get("steps", 2) + 1):
            ctx.train.report_training_metrics(steps_completed=step, metrics={"loss": 1.0 / step})
        with ctx.checkpoint.store_path({"steps_completed": hp.get("steps", 2)}) as (path, _):
            (path / "w.txt").write_text("w")
        deadline = time.monotonic() + 60
        while hp.get("hold") and time.monotonic() < deadline:
            if os.path.exists(hp["hold"]):
                break
            if ctx.preempt.should_preempt():
                print("preempted", flush=True)
                break
            time.sleep(0.05)
    if hp.get("fail") == "always" or (hp.get("fail") == "first" and info.trial._trial_run_id == 1):
        print("failing on purpose", file=sys.stderr, flush=True)
        sys.exit(1)
''')

TERMINAL = {"STATE_COMPLETED", "STATE_CANCELED", "STATE_ERROR"}


def config(name: str, **extra: Any) -> dict[str, Any]:
    hparams = extra.pop("hyperparameters", {})
    out = {"name": name, "entrypoint": "python3 train.py", "hyperparameters": hparams,
           "searcher": {"name": "single", "metric": "loss"}}
    out.update(extra)
    return out


class CoreTrialCase(MasterTestCase):
    """A stand-in with the trial's model dir and an SDK client (``det``, ``session``)."""

    master_options: dict[str, Any] = {"scale": 10}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.model_dir = tempfile.TemporaryDirectory(prefix="standin-core-")
        Path(cls.model_dir.name, "train.py").write_text(TRIAL_PY)
        with quiet():
            cls.det = client.Determined(cls.url, "admin", "")
        cls.session = cls.det._session

    @classmethod
    def tearDownClass(cls) -> None:
        cls.model_dir.cleanup()
        super().tearDownClass()

    def hold_file(self) -> Path:
        """A path a held trial waits for; creating it lets the trial finish."""
        folder = tempfile.TemporaryDirectory(prefix="standin-hold-")
        self.addCleanup(folder.cleanup)
        return Path(folder.name, "release")

    def create(self, cfg: dict[str, Any]) -> client.Experiment:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # pathspec, inside the SDK
            return self.det.create_experiment(config=cfg, model_dir=self.model_dir.name)

    def state(self, experiment_id: int) -> str:
        return bindings.get_GetExperiment(self.session, experimentId=experiment_id).experiment.state.value

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
        return wait_until(what, check, timeout)

    def wait_state(self, experiment_id: int, states: set[str], timeout: float = 60) -> str:
        seen: list[str] = []

        def check() -> str | None:
            state = self.state(experiment_id)
            if not seen or seen[-1] != state:
                seen.append(state)
            return state if state in states else None

        result = self.wait_for(f"experiment {experiment_id} in {states} (seen {seen})", check,
                               timeout)
        self.assertNotIn("STATE_ACTIVE", seen)  # reads show QUEUED/RUNNING, like the master
        return result

    def gone(self, experiment_id: int) -> bool:
        """Whether the experiment no longer exists (its delete has finished)."""
        try:
            bindings.get_GetExperiment(self.session, experimentId=experiment_id)
        except errors.NotFoundException:
            return True
        return False

    def trials(self, experiment_id: int) -> list[bindings.trialv1Trial]:
        return list(bindings.get_GetExperimentTrials(self.session, experimentId=experiment_id).trials)

    def logs(self, trial_id: int) -> list[str]:
        return [x.log for x in bindings.get_TrialLogs(self.session, trialId=trial_id)]

    def wait_log(self, trial_id: int, text: str) -> None:
        self.wait_for(f"{text!r} in trial {trial_id}'s logs",
                      lambda: any(text in line for line in self.logs(trial_id)))

    def running_trial(self, experiment_id: int) -> int:
        """Wait until the experiment's trial runs and has started its hold loop."""
        self.wait_state(experiment_id, {"STATE_RUNNING"})
        trial_id = self.trials(experiment_id)[0].id
        self.wait_log(trial_id, "latest_checkpoint")
        return trial_id


