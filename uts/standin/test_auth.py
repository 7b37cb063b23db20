"""Authentication as Determined does it, driven by the real SDK."""
from __future__ import annotations

import unittest

import requests
from determined.common import api
from determined.common.api import authentication
from determined.experimental import client

from uts.standin.support import MasterTestCase, quiet

ADMIN_PW = "Adm1n-pw"


class TestSdkLogin(MasterTestCase):
    master_options = {"scale": 10, "passwords": (("admin", ADMIN_PW), ("determined", "Pa55-word"))}

    def login(self, username: str = "admin", password: str = ADMIN_PW) -> requests.Session:
        return super().login(username, password)

    def test_login_whoami_logout(self) -> None:
        with quiet():
            client.login(self.url, "admin", ADMIN_PW)
        self.assertEqual(client.whoami().username, "admin")
        tokens = self.counts()["tokens"]
        client.logout()
        self.assertEqual(self.counts()["tokens"], tokens - 1)

    def test_cached_token_is_reused_without_a_new_login(self) -> None:
        with quiet():
            client.Determined(self.url, "admin", ADMIN_PW)
        tokens = self.counts()["tokens"]
        with quiet():
            again = client.Determined(self.url, "admin", ADMIN_PW)
        self.assertEqual(again.whoami().username, "admin")
        self.assertEqual(self.counts()["tokens"], tokens)  # GET /me validated the cached one

    def test_password_set_at_start_and_wrong_password(self) -> None:
        session = self.login("determined", "Pa55-word")
        self.assertEqual(session.get(f"{self.url}/api/v1/me").json()["user"]["username"], "determined")
        wrong = requests.post(f"{self.url}/api/v1/auth/login",
                              json={"username": "determined", "password": "nope"})
        self.assertEqual(wrong.status_code, 401)
        self.assertIn("message", wrong.json())
        hashed = requests.post(f"{self.url}/api/v1/auth/login", json={
            "username": "determined", "password": authentication.salt_and_hash("Pa55-word"),
            "isHashed": True})
        self.assertEqual(hashed.status_code, 200)

    def test_missing_and_bad_tokens_get_401(self) -> None:
        self.assertEqual(requests.get(f"{self.url}/api/v1/experiments").status_code, 401)
        bad = requests.get(f"{self.url}/api/v1/experiments", headers={"Authorization": "Bearer nope"})
        self.assertEqual(bad.status_code, 401)
        session = api.Session(self.url, username="admin", token="nope", cert=None)
        with self.assertRaises(api.errors.UnauthenticatedException):
            api.bindings.get_GetMe(session)

    def test_cookie_and_logout_invalidates(self) -> None:
        session = requests.Session()
        self.addCleanup(session.close)
        session.post(f"{self.url}/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PW})
        self.assertEqual(session.get(f"{self.url}/api/v1/me").status_code, 200)
        self.assertEqual(session.post(f"{self.url}/api/v1/auth/logout").status_code, 200)
        stale = requests.get(f"{self.url}/api/v1/me", cookies={"auth": "x"})
        self.assertEqual(stale.status_code, 401)

    def test_expire_tokens_forces_a_new_login(self) -> None:
        session = self.login()
        self.assertEqual(session.get(f"{self.url}/api/v1/me").status_code, 200)
        expired = session.post(f"{self.url}/standin/tokens/expire").json()["expired"]
        self.assertGreaterEqual(expired, 1)
        self.assertEqual(session.get(f"{self.url}/api/v1/me").status_code, 401)
        self.assertEqual(self.login().get(f"{self.url}/api/v1/me").status_code, 200)

    def test_master_and_info_need_no_token(self) -> None:
        self.assertEqual(requests.get(f"{self.url}/api/v1/master").json()["clusterName"],
                         "daist-standin")
        self.assertEqual(requests.get(f"{self.url}/info").json()["cluster_name"], "daist-standin")


if __name__ == "__main__":
    unittest.main()
