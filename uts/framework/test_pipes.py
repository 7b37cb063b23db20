"""A reader that stops early (``| head -1``) ends every command quietly with status 0. The pipe's
read end is closed before the command starts, so its first write meets a closed pipe every
time (no race with a reader)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from daist.framework import paths
from daist.models.result import Result
from uts.framework.test_main import run_daist

COMMANDS = (
    ("-m", "daist", "--list"),
    ("-m", "daist", "--list-settings"),
    ("-m", "daist", "--help"),
    ("-m", "daist.cli", "--help"),
    ("-m", "daist.cli", "run", "--list", "daist.test_target"),
    ("-m", "daist.cli", "seed", "--help"),
    ("-m", "daist.report", "--help"),
    ("-m", "daist.report", "compare", "--help"),
    ("-m", "daist.db", "--help"),
    ("-m", "daist.seed", "--help"),
    ("-m", "daist.standin", "--help"),
)


def into_closed_pipe(*args: str, env: dict[str, str] | None = None
                     ) -> subprocess.CompletedProcess:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, *args], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, cwd=paths.ROOT, timeout=120,
                              env={**{k: v for k, v in os.environ.items()
                                      if not k.startswith(("DAIST_", "DET_"))}, **(env or {})})
    finally:
        os.close(write_end)


class TestClosedPipe(unittest.TestCase):
    def test_every_command_ends_quietly(self):
        for args in COMMANDS:
            with self.subTest(command=" ".join(args[1:])):
                done = into_closed_pipe(*args)
                self.assertEqual((done.returncode, done.stderr), (0, ""))

    def test_a_run_goes_on_unseen_and_keeps_its_results(self):
        output = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, output, ignore_errors=True)
        done = into_closed_pipe("-m", "daist", "daist.test_target",
                                env={"DAIST_EXEC_OUTPUT": output})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        self.assertNotIn("Logging error", done.stderr)
        manifests = [m for m in Path(output).glob("*/*/Result-*.json") if not m.parent.is_symlink()]
        self.assertEqual(len(manifests), 1)
        self.assertEqual(Result.open(manifests[0]).outcome.status, "passed")

    def test_an_open_pipe_still_gets_everything(self):
        done = run_daist("--list", "daist.test_target")
        self.assertEqual(done.returncode, 0)
        self.assertIn("TestTarget.test_master_answers", done.stdout)


if __name__ == "__main__":
    unittest.main()
