"""Users as a Determined admin manages them, through the real ``det`` CLI and SDK."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
from determined.common.api import errors
from determined.experimental import client

from uts.standin.support import MasterTestCase, quiet

DET = str(Path(sys.executable).parent / "det")
ADMIN_PW = "Adm1n-pw"


class UsersTestCase(MasterTestCase):
    master_options = {"scale": 10, "passwords": (("admin", ADMIN_PW),)}

    def setUp(self) -> None:
        config = tempfile.TemporaryDirectory(prefix="standin-users-")
        self.addCleanup(config.cleanup)
        self.config_dir = config.name

    def det(self, *args: str, user: str = "admin", password: str = ADMIN_PW,
            stdin: str = "") -> subprocess.CompletedProcess:
        """``det -m URL ARGS`` as ``user``; a new session, so getpass reads ``stdin``."""
        env = {**os.environ, "DET_DEBUG_CONFIG_PATH": self.config_dir, "DET_USER": user,
               "DET_PASS": password}
        return subprocess.run([DET, "-m", self.url, *args], input=stdin, capture_output=True,
                              text=True, timeout=60, env=env, start_new_session=True)

    def can_log_in(self, username: str, password: str) -> bool:
        response = requests.post(f"{self.url}/api/v1/auth/login", timeout=10,
                                 json={"username": username, "password": password})
        return response.status_code == 200

    def user(self, username: str) -> dict:
        return self.login("admin", ADMIN_PW).get(
            f"{self.url}/api/v1/users/{username}/by-username", timeout=10).json()["user"]


class TestUsersThroughDet(UsersTestCase):
    def test_create_rename_change_password_deactivate_activate_link(self) -> None:
        created = self.det("user", "create", "alice", "--password", "Alice-pw1")
        self.assertEqual(created.returncode, 0, created.stderr)
        self.assertTrue(self.can_log_in("alice", "Alice-pw1"))
        renamed = self.det("user", "rename", "alice", "alice2")
        self.assertEqual(renamed.returncode, 0, renamed.stderr)
        self.assertFalse(self.can_log_in("alice", "Alice-pw1"))
        changed = self.det("user", "change-password", "alice2", stdin="Newer-pw2\nNewer-pw2\n")
        self.assertEqual(changed.returncode, 0, changed.stderr)
        self.assertTrue(self.can_log_in("alice2", "Newer-pw2"))
        self.assertEqual(self.det("user", "deactivate", "alice2").returncode, 0)
        self.assertFalse(self.can_log_in("alice2", "Newer-pw2"))
        self.assertEqual(self.det("user", "activate", "alice2").returncode, 0)
        self.assertTrue(self.can_log_in("alice2", "Newer-pw2"))
        linked = self.det("user", "link-with-agent-user", "alice2", "--agent-uid", "1001",
                          "--agent-gid", "1002", "--agent-user", "al", "--agent-group", "staff")
        self.assertEqual(linked.returncode, 0, linked.stderr)
        self.assertEqual(self.user("alice2")["agentUserGroup"], {
            "agentUid": 1001, "agentGid": 1002, "agentUser": "al", "agentGroup": "staff"})
        listing = self.det("user", "list")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertIn("alice2", listing.stdout)

    def test_a_user_changes_their_own_password_and_display_name(self) -> None:
        with quiet():
            admin = client.Determined(self.url, "admin", ADMIN_PW)
        admin.create_user("carol", admin=False, password="Carol-pw1")
        changed = self.det("user", "change-password", user="carol", password="Carol-pw1",
                           stdin="Carol-pw2\nCarol-pw2\n")
        self.assertEqual(changed.returncode, 0, changed.stderr)
        self.assertTrue(self.can_log_in("carol", "Carol-pw2"))
        edited = self.det("user", "edit", "carol", "--display-name", "Carol C",
                          user="carol", password="Carol-pw2")
        self.assertEqual(edited.returncode, 0, edited.stderr)
        self.assertEqual(self.user("carol")["displayName"], "Carol C")


class TestUsersThroughSdk(UsersTestCase):
    def test_create_list_filter_and_bulk_deactivate(self) -> None:
        with quiet():
            admin = client.Determined(self.url, "admin", ADMIN_PW)
        dave = admin.create_user("dave", admin=False, password="Dave-pw12")
        self.assertFalse(dave.admin)
        self.assertTrue(dave.active)
        names = {u.username for u in admin.list_users()}
        self.assertTrue({"admin", "determined", "dave"} <= names)
        session = self.login("admin", ADMIN_PW)
        result = session.patch(f"{self.url}/api/v1/users", timeout=10,
                               json={"userIds": [dave.user_id], "activate": False}).json()
        self.assertEqual(result, {"results": [{"error": "", "id": dave.user_id}]})
        inactive = {u.username for u in admin.list_users(active=False)}
        self.assertIn("dave", inactive)
        self.assertNotIn("dave", {u.username for u in admin.list_users(active=True)})
        promoted = session.patch(f"{self.url}/api/v1/users/{dave.user_id}", timeout=10,
                                 json={"admin": True, "active": True}).json()["user"]
        self.assertEqual((promoted["admin"], promoted["active"]), (True, True))

    def test_names_follow_determineds_rules(self) -> None:
        session = self.login("admin", ADMIN_PW)
        for body, message in (({"user": {"username": "x", "active": True}}, "minimum length"),
                              ({"user": {"username": "Determined", "active": True}},
                               "cannot be renamed 'determined'"),
                              ({"user": {"username": "admin", "active": True}}, "renamed 'admin'"),
                              ({"user": {"username": "déjà", "active": True}}, "non-ASCII")):
            with self.subTest(body=body):
                response = session.post(f"{self.url}/api/v1/users", json=body, timeout=10)
                self.assertEqual((response.status_code, response.json()["code"]), (400, 3))
                self.assertIn(message, response.json()["message"])
        twice = [session.post(f"{self.url}/api/v1/users", timeout=10,
                              json={"user": {"username": "erin", "active": True}})
                 for _ in range(2)]
        self.assertEqual([r.status_code for r in twice], [200, 400])
        self.assertIn("user already exists", twice[1].json()["message"])

    def test_an_inactive_user_is_refused_with_the_masters_403s(self) -> None:
        """Login: a right password of an inactive user is 403 "user is not active" (a wrong
        one stays 401); a token taken before deactivation is 403 until reactivation."""
        with quiet():
            admin = client.Determined(self.url, "admin", ADMIN_PW)
        frank = admin.create_user("frank", admin=False, password="Frank-pw1")
        before = self.login("frank", "Frank-pw1")
        frank.deactivate()
        with self.assertRaises(errors.ForbiddenException) as refused, quiet():
            client.Determined(self.url, "frank", "Frank-pw1")
        self.assertIn("user is not active", str(refused.exception))
        with self.assertRaises(errors.UnauthenticatedException), quiet():
            client.Determined(self.url, "frank", "wrong-pw1")
        stale = before.get(f"{self.url}/api/v1/me", timeout=10)
        self.assertEqual((stale.status_code, stale.json()["code"],
                          stale.json()["message"]), (403, 7, "user does not have permission"))
        frank.activate()
        self.assertEqual(before.get(f"{self.url}/api/v1/me", timeout=10).status_code, 200)
        with quiet():
            client.Determined(self.url, "frank", "Frank-pw1")
