"""Case 7: an unwritable or full output directory is detected before any load starts."""
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from uts.harness import run_daist


def mount_tmpfs(path: Path, *options: str) -> bool:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


class TestOutputDirectory(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def assertResultsError(self, output: Path, pattern: str):
        # Nothing may be started: the target is unreachable on purpose, so a run that got as far
        # as contacting it would fail with exit status 3 instead.
        run = run_daist("daist.test_target", output=output,
                        env={"DET_MASTER": "http://127.0.0.1:9"})
        self.assertEqual(run.returncode, 4, run.output)
        self.assertNotIn("Traceback", run.output)
        self.assertRegex(run.stderr.strip(), "^daist: error: " + pattern + "$")
        self.assertNotIn("cannot reach the master", run.output)

    def test_output_below_a_file(self):
        blocker = self.tmp / "not-a-directory"
        blocker.write_text("")
        self.assertResultsError(blocker / "results", r"cannot create the results directory .*: Not a directory")

    def mounted(self, *options: str) -> Path:
        mount_point = self.tmp / "mnt"
        mount_point.mkdir()
        if not mount_tmpfs(mount_point, *options):
            self.skipTest("mounting a tmpfs needs root (it is how this test makes a full or "
                          "read-only disk)")
        self.addCleanup(subprocess.run, ["umount", "-l", str(mount_point)], capture_output=True)
        return mount_point

    def test_read_only_filesystem(self):
        self.assertResultsError(self.mounted("ro", "size=4m") / "results",
                                r"cannot create the results directory .*: Read-only file system")

    def test_full_filesystem(self):
        self.assertResultsError(self.mounted("size=1m") / "results",
                                r"only 1 MiB free under .*; daist needs at least 50 MiB for results")

    def test_disk_full_mid_run(self):
        output = self.mounted("size=52m") / "results"  # daist needs 50 MiB free to start
        run = run_daist("uts.framework.fixtures.cases.TestFillsDisk", output=output)
        self.assertEqual(run.returncode, 4, run.output)
        self.assertNotIn("Traceback", run.output)
        self.assertRegex(run.stderr.strip().splitlines()[-1],
                         r"^daist: error: cannot save an artifact in .*: No space left on device; "
                         r"the run stops$")
        result = run.result  # the manifest is valid and says what happened
        self.assertEqual(result.outcome.status, "error")
        self.assertIn("No space left on device", result.error)
        self.assertEqual(result.outcome.tests_run, 1)  # it stopped: the second test never ran
        leftovers = [p.name for p in run.results_dir.iterdir() if p.name.endswith(".tmp")
                     or p.name.startswith(".daist-reserve")]
        self.assertEqual(leftovers, [])


if __name__ == "__main__":
    unittest.main()
