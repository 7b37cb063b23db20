"""``python -m daist.seed`` against a stand-in process, counted through the real SDK: idempotent,
grows by the difference, resumes after SIGINT, and ``--remove`` deletes exactly its label."""
from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

import requests
from determined.experimental import client

from daist.seed.plan import SeedPlan
from daist.standin.launcher import StandinProcess
from uts.rest_api.loadruns import set_faults
from uts.standin.support import SdkConfig, quiet

TRIALS = 2


def seed_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "daist.seed", "--trials-per-experiment", str(TRIALS),
            "--reports-per-trial", "2", "--concurrency", "2", "--progress-every", "0", *args]


class SeedCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.standin = StandinProcess(scale=10)
        cls.url = cls.standin.start()
        cls.sdk = SdkConfig()
        with quiet():
            cls.det = client.Determined(cls.url, "admin", "")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.standin.stop()
        cls.sdk.close()

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DET_", "DAIST_"))}
        return {**env, "DET_MASTER": self.url, "DET_USER": "admin", "DET_PASSWORD": ""}

    def seed(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(seed_command(*args), env=self.env(), capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done

    def seeded(self, label: str) -> list[client.Experiment]:
        plan = SeedPlan(label=label, experiments=0)
        return [e for e in self.det.list_experiments(labels=[plan.tag])
                if e.name.startswith(plan.prefix)]

    def totals(self) -> dict[str, int]:
        return {k: v for k, v in requests.get(f"{self.url}/standin/counts", timeout=10).json()
                .items() if k in ("experiments", "trials", "workspaces", "projects", "models",
                                  "model_versions", "checkpoints")}


class TestSeedIdempotentGrowRemove(SeedCase):
    def test_seed_twice_grow_then_remove(self) -> None:
        before = self.totals()
        self.seed("--label", "a", "--experiments", "4")
        first = {e.id for e in self.seeded("a")}
        self.assertEqual(len(first), 4)
        for experiment in self.seeded("a"):
            self.assertEqual(experiment.state, client.ExperimentState.COMPLETED)
            trials = experiment.list_trials()
            self.assertEqual(len(trials), TRIALS)
            self.assertEqual(len(list(trials[0].iter_metrics("training"))), 2)
            self.assertEqual(len(trials[0].list_checkpoints()), 1)
        self.seed("--label", "a", "--experiments", "4")
        self.assertEqual({e.id for e in self.seeded("a")}, first)
        self.seed("--label", "b", "--experiments", "2")  # another label stays apart
        self.seed("--label", "a", "--experiments", "6")
        grown = {e.id for e in self.seeded("a")}
        self.assertEqual(len(grown), 6)
        self.assertTrue(first < grown)
        prefix = SeedPlan(label="a", experiments=0).prefix
        workspaces = [w for w in self.det.list_workspaces() if w.name.startswith(prefix)]
        self.assertEqual(len(workspaces), 1)
        self.assertEqual(len(workspaces[0].list_projects()), 1)
        models = [m for m in self.det.list_models() if m.name.startswith(prefix)]
        self.assertEqual(len(models), 1)
        self.assertEqual(len(models[0].list_versions()), 2)

        removed = self.seed("--label", "a", "--remove")
        self.assertIn("6 experiments, 1 models, 1 projects, 1 workspaces", removed.stdout)
        self.assertEqual(self.seeded("a"), [])
        self.assertEqual([w for w in self.det.list_workspaces() if w.name.startswith(prefix)], [])
        self.assertEqual(len(self.seeded("b")), 2)
        self.seed("--label", "b", "--remove")
        self.assertEqual(self.totals(), before)

    def test_an_incomplete_experiment_is_replaced(self) -> None:
        plan = SeedPlan(label="partial", experiments=0)
        session = self.det._session
        made = session.post("/api/v1/experiments", json={
            "config": f"name: {plan.experiment_name(0)}\nlabels: ['{plan.tag}']\n",
            "unmanaged": True}).json()["experiment"]
        session.post("/api/v1/trials", json={"experimentId": made["id"], "unmanaged": True})
        done = self.seed("--label", "partial", "--experiments", "3")
        self.assertIn("deleted 1 incomplete", done.stdout)
        ids = {e.id for e in self.seeded("partial")}
        self.assertEqual(len(ids), 3)
        self.assertNotIn(made["id"], ids)
        self.seed("--label", "partial", "--remove")

    def test_bad_input_is_one_line(self) -> None:
        done = subprocess.run(seed_command("--label", "no spaces", "--experiments", "1"),
                              env=self.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 2)
        self.assertNotIn("Traceback", done.stderr)
        self.assertIn("--label", done.stderr)


class TestSeedInterrupted(SeedCase):
    N = 60
    ARGS = ("--label", "int", "--experiments", str(N), "--concurrency", "1",
            "--checkpoints-per-trial", "0")
    SLOW_CREATE = [{"path": "^/api/v1/experiments$", "method": "POST", "latency_ms": 500}]
    """SIGINT comes after 3 are done: the stand-in takes 0.5 s per create, so the other 57
    would take 28 s or more, however late a busy machine lets this test send it (unslowed,
    the whole seed takes 3 s)."""

    def test_sigint_then_resume_ends_with_exactly_n(self) -> None:
        set_faults(self.url, self.SLOW_CREATE, password="")
        self.addCleanup(set_faults, self.url, [], password="")
        process = subprocess.Popen(seed_command(*self.ARGS),
                                   env=self.env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(x) for x in process.stderr],
                                  daemon=True)
        reader.start()
        deadline = time.monotonic() + 60
        seen = ""
        while not re.search(rf"done 3/{self.N} ", seen):
            self.assertLess(time.monotonic(), deadline, "no progress line 'done 3/N'")
            try:
                seen = lines.get(timeout=1)
            except queue.Empty:
                self.assertIsNone(process.poll(), "the seed ended before 3 experiments")
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=60)
        reader.join(10)
        self.assertEqual(process.returncode, 130, stdout)
        partial = len([e for e in self.seeded("int")])
        self.assertGreaterEqual(partial, 3)
        self.assertLess(partial, self.N)
        set_faults(self.url, [], password="")
        resumed = self.seed(*self.ARGS)
        self.assertIn(f"{partial} experiments exist, {self.N - partial} to create", resumed.stdout)
        experiments = self.seeded("int")
        self.assertEqual(len(experiments), self.N)
        self.assertEqual({e.state for e in experiments}, {client.ExperimentState.COMPLETED})
        self.seed("--label", "int", "--remove")


if __name__ == "__main__":
    unittest.main()
