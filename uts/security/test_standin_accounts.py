"""Once any password is set, no seeded account may still log in with the empty one."""
from __future__ import annotations

import unittest

import requests

from daist.standin.launcher import StandinProcess
from daist.standin.seed.seeder import seed_usernames
from uts.standin.support import MasterTestCase


def status_of_login(url: str, username: str, password: str) -> int:
    return requests.post(f"{url}/api/v1/auth/login", timeout=10,
                         json={"username": username, "password": password}).status_code


class TestSeededAccountsLocked(MasterTestCase):
    master_options = {"scale": 10, "passwords": (("admin", "Adm1n-pw"),)}

    def test_every_other_seeded_account_refuses_the_empty_password(self) -> None:
        others = [name for name in seed_usernames(10) if name != "admin"]
        self.assertIn("determined", others)
        for username in others:
            with self.subTest(username=username):
                self.assertEqual(status_of_login(self.url, username, ""), 401)
        self.assertEqual(status_of_login(self.url, "admin", "Adm1n-pw"), 200)


class TestUnsetPasswordsStayAsDetermined(MasterTestCase):
    master_options = {"scale": 10}

    def test_a_fresh_cluster_has_passwordless_accounts(self) -> None:
        self.assertEqual(status_of_login(self.url, "determined", ""), 200)


class TestEmbeddedStandin(unittest.TestCase):
    """As daist starts it: DET_USER gets the run's password, every other account is locked."""

    def test_only_det_user_logs_in(self) -> None:
        with StandinProcess(scale=10, passwords={"determined": "Run-pw-1"}) as url:
            self.assertEqual(status_of_login(url, "determined", "Run-pw-1"), 200)
            self.assertEqual(status_of_login(url, "admin", ""), 401)
