"""Issue 24, hole 1: a web page on the same machine cannot drive the stand-in. DNS rebinding
(a foreign name in ``Host``) and cross-site requests (a foreign ``Origin`` on a request that
changes state, e.g. a ``text/plain`` login then an experiment) are refused with 403 / code 7;
the ``auth`` cookie is ``HttpOnly; SameSite=Strict``; clients that send no ``Origin`` (the
SDK, the CLI, Locust) see no change, bodies are still JSON whatever their Content-Type; the
standalone stand-in says at start which accounts have an empty password."""
from __future__ import annotations

import subprocess
import sys
import threading
import unittest
from pathlib import Path

import requests

from daist.standin.options import StandinOptions, bind_problem
from daist.standin.server import StandinMaster
from uts.standin.support import MasterTestCase

LOGIN = '{"username": "admin", "password": ""}'
EXPERIMENT = '{"config": "entrypoint: python3 -c pass\\n", "modelDefinition": []}'
REPO = Path(__file__).resolve().parents[2]


class TestHostAndOrigin(MasterTestCase):
    master_options = {"scale": 10}

    def request(self, method: str, path: str, **headers: str) -> requests.Response:
        data = headers.pop("data", None)
        return requests.request(method, self.url + path, headers=headers, data=data, timeout=30)

    def test_a_foreign_host_is_refused_on_every_route(self) -> None:
        for path in ("/api/v1/master", "/info", "/standin/health"):
            for host in ("attacker.example", "attacker.example:8080", "127.0.0.1.nip.io",
                         "localhost.attacker.example"):
                with self.subTest(path=path, host=host):
                    response = self.request("GET", path, Host=host)
                    self.assertEqual((response.status_code, response.json()["code"]), (403, 7))
                    self.assertIn("not served", response.json()["message"])

    def test_loopback_names_on_any_port_are_served(self) -> None:
        for host in ("localhost", "LOCALHOST:1234", "127.0.0.1", "127.8.9.10:80", "[::1]",
                     "[::1]:8080"):
            with self.subTest(host=host):
                self.assertEqual(self.request("GET", "/api/v1/master", Host=host).status_code, 200)

    def test_a_cross_site_text_plain_login_and_experiment_are_refused(self) -> None:
        before = self.counts()["experiments"]
        for origin in ("http://attacker.example", "null", "https://" + self.url[7:]):
            with self.subTest(origin=origin):
                login = self.request("POST", "/api/v1/auth/login", Origin=origin,
                                     data=LOGIN, **{"Content-Type": "text/plain"})
                self.assertEqual((login.status_code, login.json()["code"]), (403, 7))
                self.assertNotIn("Set-Cookie", login.headers)
        token = self.login().headers["Authorization"].split()[1]
        created = self.request("POST", "/api/v1/experiments", Origin="http://attacker.example",
                               Cookie=f"auth={token}", data=EXPERIMENT,
                               **{"Content-Type": "text/plain"})
        self.assertEqual(created.status_code, 403)
        self.assertEqual(self.counts()["experiments"], before)

    def test_its_own_origin_and_no_origin_are_served_and_bodies_stay_json(self) -> None:
        for headers in ({"Origin": self.url}, {"Origin": self.url + "/"}, {}):
            with self.subTest(headers=headers):
                login = self.request("POST", "/api/v1/auth/login", data=LOGIN,
                                     **headers, **{"Content-Type": "text/plain"})
                self.assertEqual(login.status_code, 200, login.text)
        reads = self.request("GET", "/api/v1/me", Origin="http://attacker.example",
                             Authorization=f"Bearer {login.json()['token']}")
        self.assertEqual(reads.status_code, 200)  # reads change nothing: CORS keeps the answer

    def test_the_cookie_is_http_only_and_same_site_strict(self) -> None:
        cookie = self.request("POST", "/api/v1/auth/login", data=LOGIN).headers["Set-Cookie"]
        attributes = {part.strip().lower() for part in cookie.split(";")}
        self.assertLessEqual({"httponly", "samesite=strict"}, attributes)


class TestAllowedHosts(unittest.TestCase):
    def test_allow_host_names_are_served_only_with_allow_remote(self) -> None:
        self.assertIn("--allow-remote", bind_problem(StandinOptions(allowed_hosts=("perf.lab",))))
        with StandinMaster(port=0, scale=0, allow_remote=True,
                           allowed_hosts=("Perf.Lab",)) as url:
            answer = lambda host: requests.get(f"{url}/api/v1/master", headers={"Host": host},  # noqa: E731
                                               timeout=30).status_code
            self.assertEqual([answer("perf.lab:8080"), answer("localhost"), answer("other.lab")],
                             [200, 200, 403])


class TestEmptyPasswordsAtStart(unittest.TestCase):
    def first_lines(self, *args: str) -> list[str]:
        """What the stand-in prints at start. It prints the accounts line right after the
        serving line, with no await between (a SIGTERM is handled only at the next one), so
        stopping it once the first line is read loses nothing."""
        proc = subprocess.Popen([sys.executable, "-m", "daist.standin", "--port", "0",
                                 "--scale", "0", *args], cwd=REPO, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        try:
            reader.join(60)
            self.assertEqual(len(lines), 1, "the stand-in printed nothing within 60 s")
        finally:
            proc.terminate()
            proc.wait(30)
        with proc.stdout:  # read(), not communicate(): that skips what readline() buffered
            return [*lines, *proc.stdout.read().splitlines(keepends=True)]

    def test_the_accounts_anyone_can_use_are_named(self) -> None:
        lines = self.first_lines()
        self.assertEqual(len(lines), 2, lines)
        self.assertRegex(lines[0], r"^daist\.standin serving at http://127\.0\.0\.1:\d+\n$")
        self.assertRegex(lines[1], r"^daist\.standin: 2 accounts have an empty password .*: "
                                   r"admin, determined\n$")

    def test_none_is_named_once_passwords_are_set(self) -> None:
        lines = self.first_lines("--password", "admin=S3cret-pw")
        self.assertEqual(len(lines), 1, lines)


if __name__ == "__main__":
    unittest.main()
