"""Issue 12, item 1: paths a manifest names stay inside its results directory. A manifest
listing ``../``, an absolute path, or a symbolic link out of the directory gets each entry
refused and named by ``python -m daist.report summary`` and ``python -m daist.db upload``; the
data it points at (a valid artifact with its own endpoint name) is never reported or uploaded."""
from __future__ import annotations

import shutil
import tempfile
import unittest
from pathlib import Path

from daist.models.base import FormatError
from daist.models.result import FileMeta, Result
from uts.db.support import RO_TEST, DbTestCase, daist_db, make_saved_run, remove
from uts.reliability.test_malformed_artifacts import report_cli
from uts.rest_api.factories import make_entry, make_stats

STAMP = "2024-07-29T18-49-50Z"
OUTSIDE = "outside endpoint"
REFUSED = "outside the results directory"


class TestResultInside(unittest.TestCase):
    def test_only_paths_inside_the_directory_resolve(self):
        root = Path(tempfile.mkdtemp(prefix="uts-inside-"))
        self.addCleanup(shutil.rmtree, root)
        (root / "run" / "sub").mkdir(parents=True)
        (root / "run" / "link").symlink_to(root)
        result = Result(directory=root / "run")
        self.assertEqual(result.inside("sub/a.json"), (root / "run" / "sub" / "a.json").resolve())
        for rel in ("../a.json", "sub/../../a.json", "/etc/passwd", str(root / "a.json"),
                    "link/a.json", ".", ""):
            with self.subTest(rel=rel), self.assertRaisesRegex(FormatError, f"{REFUSED}$"):
                result.inside(rel)


    def test_a_manifest_linked_from_elsewhere_is_refused(self):
        """Issue 24, hole 9: the manifest itself is confined like its entries."""
        root = Path(tempfile.mkdtemp(prefix="uts-inside-"))
        self.addCleanup(shutil.rmtree, root)
        (root / "elsewhere").mkdir()
        (root / "run").mkdir()
        manifest = Result(directory=root / "elsewhere", host_label="h").save_manifest()
        link = root / "run" / manifest.name
        link.symlink_to(manifest)
        with self.assertRaisesRegex(FormatError, f"^{manifest.name}: {REFUSED}$"):
            Result.open(link)
        inner = root / "run" / "Result-h-2024-07-29T18-49-50Z.json"
        shutil.copy(manifest, root / "run" / "copy.json")
        inner.symlink_to("copy.json")  # a link inside the folder is fine
        self.assertEqual(Result.open(inner).directory, (root / "run").resolve())


class TestManifestPathsStayInside(DbTestCase):
    def setUp(self):
        super().setUp()
        self.run = make_saved_run()
        self.addCleanup(remove, self.run)
        outside = Path(tempfile.mkdtemp(prefix="uts-outside-"))
        self.addCleanup(shutil.rmtree, outside)
        stats = make_stats(make_entry(OUTSIDE, latencies=[1.0, 2.0]))
        target = stats.save(outside / f"LocustStatsList-TestOut.test-{STAMP}.json")
        directory = self.run.directory
        (directory / f"LocustStatsList-TestLink.test-{STAMP}.json").symlink_to(target)
        self.entries = [f"../{outside.name}/{target.name}", str(target),
                        f"LocustStatsList-TestLink.test-{STAMP}.json"]
        for rel in self.entries:
            self.run.result.files[rel] = FileMeta(classname="LocustStatsList", test_id=RO_TEST)
        self.run.result.save_manifest()

    def test_summary_and_upload_refuse_and_name_each_entry(self):
        summary = report_cli("summary", self.run.directory, "--no-html")
        self.assertEqual(summary.returncode, 0, summary.stderr)
        for rel in self.entries:
            self.assertIn(f"skipped {rel}: {REFUSED}", summary.stderr)
        self.assertNotIn(OUTSIDE, summary.stdout)
        self.assertIn("get experiments", summary.stdout)            # the rest is reported
        done = daist_db("upload", str(self.run.directory), env=self.env())
        self.assertEqual(done.returncode, 1, done.stderr)
        errors = done.stderr.splitlines()
        self.assertEqual(len(errors), len(self.entries), done.stderr)
        for rel in self.entries:
            self.assertIn(f"{self.run.directory / rel}: {REFUSED}\n", done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        names = [row[0] for row in self.sql("SELECT test_name FROM daist_endpoints")]
        self.assertIn("get experiments", names)
        self.assertNotIn(OUTSIDE, names)


if __name__ == "__main__":
    unittest.main()
