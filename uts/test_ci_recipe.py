"""docs/ci.md's shell recipe, as written, against a stand-in master and a PostgreSQL database:
the first run passes, uploads and becomes the baseline; the second, with one of the most
requested endpoints (GET /api/v1/experiments, weight 3) made 500 ms slower by a stand-in fault,
fails the job on the regression, and the
Markdown job summary says so. Only the run time is shortened and the checkout's scripts are
called by their full path (the job's files land in a scratch folder)."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

from daist.framework import paths
from daist.standin.launcher import StandinProcess
from uts.db.support import DbTestCase
from uts.harness import clean_environment
from uts.rest_api.loadruns import NO_P95, set_faults

DOC = paths.ROOT / "docs" / "ci.md"
MARK = "<!-- ci-test"
PASSWORD = "ci-Recipe-9"
SLOWER_MS = 500
RUN_TIME = "15s"
"""compare's one-run mode judges about ten blocks of the window: 15 s gives each block several
requests of the slowed endpoint even on a busy machine (at 100 requests/s in all), and every
block of the candidate is then far beyond every block of the baseline."""
SLOWED = {"path": "^/api/v1/experiments$", "method": "GET"}


def shell_recipe(text: str) -> str:
    return re.search(re.escape(MARK) + r"[^\n]*\n```sh\n(.*?)```", text, flags=re.S)[1]


def workflow_script(text: str) -> str:
    """The ``run: |`` script of the workflow's load-test step."""
    block = re.search(r"- name: Load test, upload, compare\n\s+run: \|\n(.*?)\n\s+- name:",
                      text, flags=re.S)[1]
    return textwrap.dedent(block)


def commands(script: str) -> list[str]:
    """The script's commands without comments and spacing, to compare two spellings."""
    return [" ".join(line.split("  #")[0].split()) for line in script.splitlines()
            if line.split("  #")[0].strip()]


def as_test(script: str) -> str:
    script = script.replace("-t 5m", f"-t {RUN_TIME}")
    for name in ("./run.py", "./make_venv.py"):
        script = script.replace(name, str(paths.ROOT / name[2:]))
    return script.replace("__venv__/", f"{paths.ROOT / '__venv__'}/")


class TestCiRecipe(DbTestCase):
    def test_the_workflow_runs_the_shell_recipe(self):
        text = DOC.read_text()
        self.assertEqual(commands(workflow_script(text)), commands(shell_recipe(text)))

    def test_a_regression_fails_the_job_and_the_summary_says_so(self):
        scratch = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, scratch, ignore_errors=True)
        standin = StandinProcess(scale=10, passwords={"admin": PASSWORD})
        url = standin.start()
        self.addCleanup(standin.stop)
        summary = scratch / "summary.md"
        # no p95 limit: a busy machine must not break one; the regression is compare's to find
        env = clean_environment({"DET_MASTER": url, "DET_USER": "admin", "DET_PASSWORD": PASSWORD,
                                 "GITHUB_STEP_SUMMARY": str(summary), "DAIST_LOCUST_P95_MS": NO_P95,
                                 **self.env()})
        script = as_test(shell_recipe(DOC.read_text()))

        def job() -> subprocess.CompletedProcess:
            return subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                  cwd=scratch, env=env, timeout=600)

        first = job()
        said = first.stdout[-3000:] + first.stderr[-3000:]
        self.assertEqual(first.returncode, 0, said)
        baseline = sorted(p.name for p in (scratch / "baseline").iterdir())
        self.assertTrue([name for name in baseline if name.startswith("Result-")], said)
        self.assertEqual(self.counts()["daist_runs"], 1)
        text = summary.read_text()
        self.assertIn("### ✓ daist run passed", text)
        self.assertRegex(text, r"\| ✓ \| all requests \| fail \| 0\.0% \|")
        self.assertIn("No baseline yet: this run becomes the baseline.", text)
        self.assertRegex(text, r"Report: `.*/daist-results/.*/Report-.*\.html`")

        set_faults(url, [{**SLOWED, "latency_ms": SLOWER_MS}], password=PASSWORD)
        second = job()
        said = second.stdout[-3000:] + second.stderr[-3000:]
        self.assertEqual(second.returncode, 1, said)
        self.assertIn("GET get experiments", second.stdout)
        self.assertEqual(sorted(p.name for p in (scratch / "baseline").iterdir()), baseline)
        self.assertEqual(self.counts()["daist_runs"], 2)
        text = summary.read_text()
        compared = text.split("### daist compare:", 1)[1]
        self.assertTrue(compared.startswith(" ✗ regression"), compared[:200])
        self.assertRegex(compared, r"\| TestRO\.test: GET get experiments \| p\d\d \| ")
        self.assertIn(f"Comparison: `compare.html`", compared)
        self.assertTrue((scratch / "compare.html").is_file())
        self.assertTrue((scratch / "junit.xml").is_file())
