"""``summary`` and ``compare`` take ``latest``: the newest run under the results root."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from daist.framework import paths
from uts.harness import StandinTestCase, run_daist


def report(*args: str, output: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAIST_", "DET_"))}
    return subprocess.run([sys.executable, "-m", "daist.report", *args], capture_output=True,
                          text=True, cwd=paths.ROOT, timeout=120,
                          env={**env, "DAIST_EXEC_OUTPUT": str(output)})


class TestLatest(StandinTestCase):
    def test_summary_and_compare_read_the_newest_run(self):
        output = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, output, ignore_errors=True)
        empty = report("summary", output=output)
        self.assertEqual(empty.returncode, 2)
        self.assertEqual(empty.stderr, f"daist: error: latest: no run under {output} yet (name a "
                                       "results directory)\n")
        runs = [run_daist("daist.test_target", env={"DET_MASTER": self.url}, output=output)
                for _ in range(2)]
        for run in runs:
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        first, newest = (run.results_dir for run in runs)
        self.assertLess(first.name, newest.name)
        summary = report("summary", output=output)
        self.assertEqual(summary.returncode, 0, summary.stderr)
        self.assertEqual(summary.stderr, f"daist: latest is {newest}\n")
        self.assertIn(f"Results directory: {newest}", summary.stdout)
        self.assertEqual(report("summary", "latest", output=output).stdout, summary.stdout)
        compared = report("compare", str(first), "latest", "--force", output=output)
        self.assertIn(f"daist: latest is {newest}", compared.stderr)
        self.assertNotIn("Traceback", compared.stderr)


if __name__ == "__main__":
    unittest.main()
