"""One test of each outcome, and one that shows which temporary directory its worker has."""
import os
import tempfile
import unittest
from pathlib import Path


class Outcomes(unittest.TestCase):
    def test_passes(self):
        self.assertTrue(True)

    def test_fails(self):
        print("printed by the failing fixture")
        self.assertEqual(1, 2, "the failing fixture")

    def test_errs(self):
        raise RuntimeError("the erring fixture")

    @unittest.skip("the skipped fixture")
    def test_skipped(self):
        pass


class OwnTemporaryDirectory(unittest.TestCase):
    def test_is_a_worker_directory_under_the_scratch(self):
        here = Path(tempfile.gettempdir())
        self.assertEqual(here.parent, Path(os.environ["UTS_FIXTURE_SCRATCH"]))
        self.assertTrue(here.name.startswith("worker-"), here)
        self.assertEqual(os.environ["TMPDIR"], str(here))
