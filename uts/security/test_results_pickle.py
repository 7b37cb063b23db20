"""Issue 12, item 1: a results directory never runs code. A crafted pickle (whose loading
would create a marker file) sits in a saved run, listed in its manifest, or found by its name
when the manifest is damaged; ``python -m daist.report summary``/``compare`` and ``python -m
daist.db upload`` name it as refused, run nothing, and report or upload the rest."""
from __future__ import annotations

import pickle
import tempfile
import unittest
from pathlib import Path

from daist.models.result import FileMeta
from uts.db.support import RO_TEST, DbTestCase, daist_db, make_saved_run, remove
from uts.reliability.test_malformed_artifacts import report_cli

PICKLE_NAME = "LocustStatsList-TestRO.test-2024-07-29T18-49-50Z.pkl"
REFUSED = "a pickle: never read"


class CreatesFile:
    """Unpickling this calls ``open(marker, "w")``: the marker proves code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


class PickleCase(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.run = make_saved_run()
        self.addCleanup(remove, self.run)
        self.marker = Path(tempfile.mkdtemp(prefix="uts-pickle-marker-")) / "code-ran"
        self.addCleanup(lambda: self.marker.unlink(missing_ok=True) or self.marker.parent.rmdir())
        self.pickle = self.run.directory / PICKLE_NAME
        self.pickle.write_bytes(pickle.dumps(CreatesFile(self.marker)))
        self.assertEqual(self.marker.exists(), False)

    def list_in_manifest(self):
        result = self.run.result
        result.files[PICKLE_NAME] = FileMeta(classname="LocustStatsList", test_id=RO_TEST)
        result.save_manifest()

    def assert_no_code_ran(self):
        self.assertFalse(self.marker.exists(), "unpickling ran the payload")

    def proof_the_payload_works(self):
        """The payload does what the tests say it would (so their checks can fail)."""
        pickle.loads(self.pickle.read_bytes()).close()
        self.assertTrue(self.marker.exists())


class TestReportsRefusePickles(PickleCase):
    def test_the_payload_is_live(self):
        self.proof_the_payload_works()

    def test_summary_and_compare_name_a_listed_pickle_and_run_nothing(self):
        self.list_in_manifest()
        summary = report_cli("summary", self.run.directory, "--no-html")
        self.assert_no_code_ran()
        self.assertEqual(summary.returncode, 0, summary.stderr)
        self.assertIn(f"skipped {PICKLE_NAME}: {REFUSED}", summary.stderr)
        self.assertNotIn("Traceback", summary.stderr)
        self.assertIn("get experiments", summary.stdout)           # the rest is reported
        other = make_saved_run(seed=8)
        self.addCleanup(remove, other)
        compare = report_cli("compare", other.directory, self.run.directory, "--force")
        self.assert_no_code_ran()
        self.assertIn(PICKLE_NAME, compare.stderr)
        self.assertIn(REFUSED, compare.stderr)
        self.assertNotIn("Traceback", compare.stderr)

    def test_a_pickle_found_by_name_is_named_when_the_manifest_is_damaged(self):
        manifest = self.run.result.manifest_path
        manifest.write_bytes(manifest.read_bytes()[:-40])
        summary = report_cli("summary", self.run.directory, "--no-html")
        self.assert_no_code_ran()
        self.assertEqual(summary.returncode, 0, summary.stderr)
        self.assertIn(f"skipped {PICKLE_NAME}: {REFUSED}", summary.stderr)
        self.assertIn("get experiments", summary.stdout)


class TestUploadRefusesPickles(PickleCase, DbTestCase):
    def test_upload_names_a_listed_pickle_and_uploads_the_rest(self):
        self.list_in_manifest()
        done = daist_db("upload", str(self.run.directory), env=self.env())
        self.assert_no_code_ran()
        self.assertEqual(done.returncode, 1, done.stderr)             # not everything went in
        self.assertEqual(done.stderr.splitlines(),
                         [f"daist: error: skipped {self.pickle}: {REFUSED} "
                          "(unpickling runs code from the file)"])
        self.assertEqual(self.sql("SELECT count(*) FROM daist_loads"), [(1,)])


if __name__ == "__main__":
    unittest.main()
