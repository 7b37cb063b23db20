"""Issue 12, item 6: the processes daist starts carry no secret they do not need. In a real
run with DET_PASSWORD, PERF_RESULT_DB_PASS, PGPASSWORD and a DET_MASTER with credentials in
its environment: ``git`` (asked for the commit) and the embedded stand-in (it gets its
password through stdin) see none of them; a local Locust worker sees DET_PASSWORD, which it
logs in with, and nothing else."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest
from pathlib import Path

from daist.framework import paths
from daist.models.base import TextDocument
from uts.harness import PYTHON, clean_environment, remove_results, run_daist

SECRETS = {"DET_PASSWORD": "child-env-pw-1", "PERF_RESULT_DB_PASS": "child-env-db-2",
           "PGPASSWORD": "child-env-pg-3"}
DB_SECRETS = ("PERF_RESULT_DB_PASS", "PGPASSWORD")
URL_PASSWORD = "child-env-url-4"
FAKE_GIT = """#!/bin/sh
env > "$UTS_GIT_ENV_FILE"
exit 1
"""


class TestChildEnvironments(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="uts-child-env-"))
        self.addCleanup(shutil.rmtree, self.tmp)

    def test_git_and_the_embedded_standin_get_no_secret(self):
        bin_dir = self.tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "git").write_text(FAKE_GIT)
        (bin_dir / "git").chmod(0o755)
        git_env = self.tmp / "git.env"
        env = {**SECRETS, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               "UTS_GIT_ENV_FILE": str(git_env), "GIT_COMMIT": "", "GIT_BRANCH": ""}
        run = run_daist("uts.security.fixtures.TestStandinEnviron", env=env)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        seen = git_env.read_text()                       # git really ran, with this environment
        self.assertIn("UTS_GIT_ENV_FILE=", seen)
        standin = TextDocument.open(run.result.files_of("TextDocument")[0]).text.split()
        self.assertIn("PATH", standin)
        for name, value in SECRETS.items():
            self.assertNotIn(value, seen, f"git got {name}")
            self.assertNotIn(name, standin, f"the stand-in got {name}")

    def test_a_local_worker_gets_the_password_only(self):
        env = clean_environment({**SECRETS, "DET_MASTER": f"http://u:{URL_PASSWORD}@127.0.0.1:9"})
        done = subprocess.run([PYTHON, "-c", LAUNCH_A_WORKER], capture_output=True, text=True,
                              env=env, cwd=paths.ROOT, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        worker = json.loads(done.stdout.splitlines()[-1])
        self.assertEqual(worker.get("DET_PASSWORD"), SECRETS["DET_PASSWORD"])  # it logs in
        for name in DB_SECRETS:
            self.assertNotIn(name, worker)
        self.assertEqual(worker.get("DET_MASTER"), "http://127.0.0.1:9")


LAUNCH_A_WORKER = textwrap.dedent("""
    import json, os
    from daist.engine import locust_import  # noqa: F401 - Locust, imported quietly
    from locust.env import Environment
    from daist.engine.distributed import WorkerPool

    runner = Environment(user_classes=[]).create_master_runner("127.0.0.1", 0)
    pool = WorkerPool(runner, local=1, remote=0, wait_s=30)
    pool.launch(port=runner.server.port, password=os.environ["DET_PASSWORD"],
                target="http://127.0.0.1:9")
    try:
        with open(f"/proc/{pool.pids[0]}/environ", "rb") as handle:
            entries = [e.decode() for e in handle.read().split(b"\\0") if e]
    finally:
        for process in pool.processes:
            process.kill()
            process.wait()
        runner.quit()
    print(json.dumps(dict(entry.partition("=")[::2] for entry in entries)))
""")


if __name__ == "__main__":
    unittest.main()
