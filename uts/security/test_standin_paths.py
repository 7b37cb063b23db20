"""Checkpoint ids and file paths that try to leave the stand-in's work directory."""
from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from daist.standin.common.confine import inside
from daist.standin.common.errors import BadRequest
from uts.standin.support import MasterTestCase

TRAVERSALS = ("%2Fetc", "..%2F..%2F..%2Fetc", "%2E%2E", "etc", "%2Fetc%2Fshadow")


class TestCheckpointIds(MasterTestCase):
    master_options = {"scale": 10}

    def test_a_checkpoint_named_like_a_path_is_refused_at_registration(self) -> None:
        session = self.login()
        for uuid in ("/etc", "../../etc", "..", "/etc/shadow"):
            with self.subTest(uuid=uuid):
                response = session.post(f"{self.url}/api/v1/checkpoints", timeout=10, json={
                    "uuid": uuid, "resources": {}, "metadata": {}, "taskId": "", "state":
                    "STATE_COMPLETED", "reportTime": "2024-01-01T00:00:00Z"})
                self.assertEqual((response.status_code, response.json()["code"]), (400, 3))
                self.assertIn("unable to parse checkpoint UUID", response.json()["message"])

    def test_downloads_by_a_path_like_id_are_refused(self) -> None:
        session = self.login()
        for raw in TRAVERSALS:
            with self.subTest(raw=raw):
                response = session.get(f"{self.url}/checkpoints/{raw}", timeout=10)
                self.assertEqual(response.status_code, 400, response.content[:200])
                self.assertNotEqual(response.headers.get("Content-Type"), "application/gzip")

    def test_a_stored_path_like_id_still_serves_nothing(self) -> None:
        """A row that names a path (from an older state file, say) is refused at download."""
        session = self.login()
        self.master.call(lambda backend: backend.store.db.execute(
            "UPDATE checkpoints SET uuid = '/etc' WHERE rowid = (SELECT MIN(rowid) FROM"
            " checkpoints)"))
        response = session.get(f"{self.url}/checkpoints/%2Fetc", timeout=10)
        self.assertEqual(response.status_code, 400, response.content[:200])


class TestInside(unittest.TestCase):
    def test_absolute_dotdot_and_symlinks_out_are_refused(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp, "work")
            base.mkdir()
            (base / "out").symlink_to("/etc")
            for relative in ("/etc/passwd", "../x", "a/../../x", "out/passwd", ""):
                with self.subTest(relative=relative), self.assertRaises(BadRequest):
                    inside(base, relative)
            self.assertEqual(inside(base, "a/b.txt"), base.resolve() / "a" / "b.txt")
