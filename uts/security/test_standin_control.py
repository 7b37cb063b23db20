"""The /standin/ control endpoints: reads are public, every change takes an admin's token."""
from __future__ import annotations

import requests

from daist.standin.launcher import control_headers
from uts.standin.support import MasterTestCase

ADMIN_PW = "Adm1n-pw"
CHANGES = (("POST", "/standin/reset", None), ("PUT", "/standin/faults", {"rules": []}),
           ("POST", "/standin/faults", {"path": "/x"}), ("DELETE", "/standin/faults", None),
           ("POST", "/standin/tokens/expire", None),
           ("POST", "/standin/allocations/none.1/preempt", None))


class TestControlEndpoints(MasterTestCase):
    master_options = {"scale": 10, "passwords": (("admin", ADMIN_PW), ("determined", "Det-pw-1"))}

    def call(self, method: str, path: str, body: object, **kwargs: object) -> requests.Response:
        return requests.request(method, self.url + path, json=body, timeout=30, **kwargs)

    def test_without_a_token_401(self) -> None:
        for method, path, body in CHANGES:
            with self.subTest(path=path, method=method):
                response = self.call(method, path, body)
                self.assertEqual((response.status_code, response.json()["code"]), (401, 16))

    def test_with_a_non_admin_token_403(self) -> None:
        headers = control_headers(self.url, username="determined", password="Det-pw-1")
        for method, path, body in CHANGES:
            with self.subTest(path=path, method=method):
                response = self.call(method, path, body, headers=headers)
                self.assertEqual((response.status_code, response.json()["code"]), (403, 7))

    def test_with_the_admin_token_they_work_and_reads_stay_public(self) -> None:
        headers = control_headers(self.url, password=ADMIN_PW)
        added = self.call("POST", "/standin/faults", {"path": "^/nowhere$"}, headers=headers)
        self.assertEqual(added.status_code, 200, added.text)
        self.assertEqual(requests.get(self.url + "/standin/faults", timeout=10).json()["rules"][0]
                         ["path"], "^/nowhere$")
        self.assertEqual(self.call("DELETE", "/standin/faults", None, headers=headers).json(),
                         {"rules": []})
        self.assertTrue(requests.get(self.url + "/standin/health", timeout=10).json()["ok"])
        self.assertIn("experiments", requests.get(self.url + "/standin/counts", timeout=10).json())
