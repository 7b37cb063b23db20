"""What a trial process sees: unpacked files, info files via the bootstrap, DET_* variables."""
from __future__ import annotations

import base64
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from daist.standin.common.errors import BadRequest
from daist.standin.trials.trialenv import (TrialLaunch, check_model_files, trial_environment,
                                    unpack_model, write_info)

PROBE = ("import determined as det; i = det.get_cluster_info(); "
         "print(i.trial.trial_id, i.allocation_id, i.trial.hparams['h'], i.container_addrs[0], "
         "i.trial._config['checkpoint_storage']['type'])")


def _launch() -> TrialLaunch:
    return TrialLaunch(trial_id=7, experiment_id=3, run_id=2, task_id="3.abc", hparams={"h": 1},
                       config={"checkpoint_storage": {"type": "directory", "container_path": "/c"}},
                       trial_seed=7, steps_completed=0, username="admin", session_token="s",
                       user_token="u", master_url="http://127.0.0.1:9", cluster_id="cid")


class TestTrialEnvironment(unittest.TestCase):
    def test_bootstrap_gives_each_process_its_own_cluster_info(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            info = Path(tmp, "info")
            write_info(_launch(), info)
            env = trial_environment(_launch(), info_dir=info, extra={"X": "1"})
            out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                                 text=True, timeout=60)
        self.assertEqual(out.stdout.split(), ["7", "3.abc.2", "1", "127.0.0.1", "directory"],
                         out.stderr)
        self.assertEqual((env["DET_SESSION_TOKEN"], env["DET_USER"], env["X"]), ("s", "admin", "1"))
        self.assertTrue(env["PATH"].startswith(str(Path(sys.executable).parent)))

    def test_without_the_bootstrap_there_is_no_cluster_info(self) -> None:
        out = subprocess.run([sys.executable, "-c", "import determined as det; "
                              "print(det.get_cluster_info())"], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.stdout.strip(), "None")

    def test_unpack_applies_dirs_files_and_modes(self) -> None:
        files = [{"path": "d", "type": 53, "content": "", "mode": 0o755},
                 {"path": "d/run.sh", "type": 48, "mode": 0o755,
                  "content": base64.b64encode(b"echo hi").decode()}]
        with tempfile.TemporaryDirectory() as tmp:
            unpack_model(check_model_files(files), Path(tmp))
            script = Path(tmp, "d", "run.sh")
            self.assertEqual(script.read_text(), "echo hi")
            self.assertTrue(script.stat().st_mode & 0o100)

    def test_paths_that_escape_are_refused(self) -> None:
        for path in ("/etc/passwd", "../x", "a/../../b", ""):
            with self.subTest(path=path), self.assertRaises(BadRequest):
                check_model_files([{"path": path, "type": 48, "content": ""}])
        with self.assertRaises(BadRequest):
            check_model_files([{"path": "x", "type": 48, "content": "%%%"}])


if __name__ == "__main__":
    unittest.main()
