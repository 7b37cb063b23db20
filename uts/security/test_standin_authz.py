"""A non-admin tries to become admin or take over accounts; Determined 0.38.1 (RBAC off)
refuses each with 403 / PERMISSION_DENIED, and so must the stand-in."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
from determined.common.api import errors
from determined.experimental import client

from uts.security.accounts import ADMIN_PW, UsersTestCase
from uts.standin.support import quiet

MALLORY_PW = "Mall0ry-pw"
DET = str(Path(sys.executable).parent / "det")


class TestNonAdminEscalation(UsersTestCase):
    users = {"mallory": MALLORY_PW}

    def setUp(self) -> None:
        self.mallory = self.login("mallory", MALLORY_PW)
        self.mallory_id = self.user_ids["mallory"]

    def assert_denied(self, response: requests.Response) -> None:
        self.assertEqual(response.status_code, 403, response.text)
        self.assertEqual(response.json()["code"], 7)  # PERMISSION_DENIED
        self.assertIn("only admin privileged users", response.json()["message"])

    def test_taking_over_the_admin_by_its_password(self) -> None:
        self.assert_denied(self.mallory.patch(f"{self.url}/api/v1/users/1", timeout=10,
                                              json={"password": "owned"}))
        self.assert_denied(self.mallory.post(f"{self.url}/api/v1/users/1/password",
                                             json="owned", timeout=10))
        self.login("admin", ADMIN_PW)  # the admin's password still works

    def test_reading_the_master_config(self) -> None:
        """Issue 24, hole 10: GetMasterConfig is admin-only (CanGetMasterConfig), 403 / code 7
        with the master's message."""
        denied = self.mallory.get(f"{self.url}/api/v1/master/config", timeout=10)
        self.assertEqual((denied.status_code, denied.json()["code"]), (403, 7), denied.text)
        self.assertEqual(denied.json()["message"], "user does not have permission")
        admin = self.login("admin", ADMIN_PW).get(f"{self.url}/api/v1/master/config", timeout=10)
        self.assertEqual(admin.status_code, 200, admin.text)
        self.assertIn("config", admin.json())

    def test_making_oneself_admin(self) -> None:
        self.assert_denied(self.mallory.patch(f"{self.url}/api/v1/users/{self.mallory_id}",
                                              json={"admin": True}, timeout=10))
        me = self.mallory.get(f"{self.url}/api/v1/me", timeout=10).json()["user"]
        self.assertFalse(me["admin"])

    def test_creating_deactivating_and_renaming_other_users(self) -> None:
        self.assert_denied(self.mallory.post(f"{self.url}/api/v1/users", timeout=10, json={
            "user": {"username": "mallory-admin", "admin": True, "active": True},
            "password": "x"}))
        self.assert_denied(self.mallory.patch(f"{self.url}/api/v1/users/1",
                                              json={"active": False}, timeout=10))
        self.assert_denied(self.mallory.patch(f"{self.url}/api/v1/users/1",
                                              json={"username": "old-admin"}, timeout=10))
        self.assert_denied(self.mallory.patch(f"{self.url}/api/v1/users/2", timeout=10, json={
            "agentUserGroup": {"agentUid": 0, "agentGid": 0, "agentUser": "root",
                               "agentGroup": "root"}}))
        bulk = self.mallory.patch(f"{self.url}/api/v1/users", timeout=10,
                                  json={"userIds": [1], "activate": False}).json()
        self.assertIn("only admin", bulk["results"][0]["error"])
        self.login("admin", ADMIN_PW)  # still active, still named admin

    def test_through_the_sdk(self) -> None:
        with quiet():
            mallory = client.Determined(self.url, "mallory", MALLORY_PW)
        with self.assertRaises(errors.ForbiddenException):
            mallory.get_user_by_name("admin").change_password("Owned-pw1")
        with self.assertRaises(errors.ForbiddenException):
            mallory.create_user("eve", admin=True, password="Eve-pw123")

    def test_through_the_det_cli(self) -> None:
        with tempfile.TemporaryDirectory(prefix="standin-authz-") as config:
            env = {**os.environ, "DET_DEBUG_CONFIG_PATH": config, "DET_USER": "mallory",
                   "DET_PASS": MALLORY_PW}
            result = subprocess.run([DET, "-m", self.url, "user", "create", "eve", "--admin",
                                     "--password", "Eve-pw123"], capture_output=True,
                                    text=True, timeout=60, env=env, start_new_session=True)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("only admin privileged users can create users", result.stderr)

    def test_deleting_other_users_experiments_and_models(self) -> None:
        experiment = self.mallory.get(f"{self.url}/api/v1/experiments/1", timeout=10).json()
        self.assertNotEqual(experiment["experiment"]["userId"], self.mallory_id)
        response = self.mallory.delete(f"{self.url}/api/v1/experiments/1", timeout=10)
        self.assertEqual((response.status_code, response.json()["code"]), (403, 7))
        model = self.mallory.get(f"{self.url}/api/v1/models", timeout=10).json()["models"][0]
        for path in (f"/api/v1/models/{model['name']}", f"/api/v1/models/{model['name']}/versions/1"):
            with self.subTest(path=path):
                response = self.mallory.delete(self.url + path, timeout=10)
                self.assertEqual((response.status_code, response.json()["code"]), (403, 7))
        own = self.mallory.post(f"{self.url}/api/v1/models", json={"name": "mallorys"}, timeout=10)
        self.assertEqual(own.status_code, 200, own.text)
        deleted = self.mallory.delete(f"{self.url}/api/v1/models/mallorys", timeout=10)
        self.assertEqual(deleted.status_code, 200, deleted.text)

    def test_what_a_user_may_do_to_themselves(self) -> None:
        own = f"{self.url}/api/v1/users/{self.mallory_id}"
        renamed = self.mallory.patch(own, json={"displayName": "M"}, timeout=10)
        self.assertEqual(renamed.status_code, 200, renamed.text)
        changed = self.mallory.post(f"{own}/password", json=MALLORY_PW, timeout=10)
        self.assertEqual(changed.status_code, 200, changed.text)
