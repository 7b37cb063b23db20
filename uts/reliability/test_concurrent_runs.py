"""Case 10: two daist runs at once against the same target and output root."""
import tempfile
import unittest
from pathlib import Path

from daist.models.result import Result
from uts.harness import StandinTestCase, results_dir_of, start_daist


class TestConcurrentRuns(StandinTestCase):
    def test_distinct_directories_and_valid_manifests(self):
        output = Path(tempfile.mkdtemp())
        runs = [start_daist("daist.test_target", env={"DET_MASTER": self.url}, output=output)[0]
                for _ in range(3)]
        outputs = [process.communicate(timeout=180) for process in runs]
        directories = [results_dir_of(stdout) for stdout, _ in outputs]
        self.assertEqual(len(set(directories)), 3, outputs)
        for process, directory in zip(runs, directories):
            self.assertEqual(process.returncode, 0)
            [manifest] = directory.glob("Result-*.json")
            result = Result.open(manifest)
            self.assertEqual(result.outcome.status, "passed")
            self.assertEqual(len(result.files_of("MasterInfo")), 1)


if __name__ == "__main__":
    unittest.main()
