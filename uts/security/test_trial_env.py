"""A trial is user code: its process must not inherit the harness's secrets."""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
import unittest
import warnings
from pathlib import Path
from unittest import mock

from determined.experimental import client

from daist.standin.launcher import standin_environment
from uts.standin.support import MasterTestCase, quiet

SECRETS = {"DET_PASSWORD": "det-secret-1", "PERF_RESULT_DB_PASS": "db-secret-2",
           "PGPASSWORD": "pg-secret-3", "AWS_SECRET_ACCESS_KEY": "aws-secret-4"}


class TestTrialEnvironment(MasterTestCase):
    master_options = {"scale": 10}

    def test_a_real_trial_sees_no_daist_secret(self) -> None:
        with tempfile.TemporaryDirectory(prefix="standin-env-") as tmp:
            dump = Path(tmp, "env.txt")
            model = Path(tmp, "model")
            model.mkdir()
            (model / "dump.sh").write_text(f"env > {dump}.part && mv {dump}.part {dump}\n")
            config = {"name": "env-dump", "entrypoint": "sh dump.sh",
                      "searcher": {"name": "single", "metric": "x"},
                      "environment": {"environment_variables": ["FROM_CONFIG=yes"]}}
            # the stand-in runs in this process: its environment is os.environ
            with mock.patch.dict(os.environ, SECRETS), quiet(), warnings.catch_warnings(), \
                    contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore", DeprecationWarning)
                client.login(self.url, "admin", "")
                self.addCleanup(client.logout)
                client.create_experiment(config=config, model_dir=str(model))
                deadline = time.monotonic() + 60
                while not dump.exists() and time.monotonic() < deadline:
                    time.sleep(0.1)
            self.assertTrue(dump.exists(), "the trial never ran")
            env = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
        for name, value in SECRETS.items():
            self.assertNotIn(name, env)
            self.assertNotIn(value, "\n".join(env.values()))
        self.assertEqual(env.get("FROM_CONFIG"), "yes")  # the config's own variables do arrive
        self.assertIn("DET_MASTER", env)
        self.assertIn("DET_SESSION_TOKEN", env)


class TestStandinProcessEnvironment(unittest.TestCase):
    def test_the_launched_standin_gets_no_credentials(self) -> None:
        kept = standin_environment({**SECRETS, "PATH": "/bin", "DET_USER_TOKEN": "t",
                                    "HOME": "/root", "DAIST_STANDIN_SCALE": "10"})
        self.assertEqual(kept, {"PATH": "/bin", "HOME": "/root", "DAIST_STANDIN_SCALE": "10"})
