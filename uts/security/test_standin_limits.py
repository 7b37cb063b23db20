"""Denial of service through what the stand-in reads: bodies, YAML configs, fault regexes
(RE2: patterns Go's regexp refuses are a 400, the rest match in linear time)."""
from __future__ import annotations

import unittest

import requests

from daist.standin.http.app import MAX_JSON_BODY
from daist.standin.faults.injector import FaultInjector
from daist.standin.common.regex import MAX_PATTERN_CHARS
from daist.standin.faults.spec import FaultSpecError, check_pattern
from uts.standin.support import MasterTestCase

BOMB = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x]"] + [
    f"{chr(ord('b') + i)}: &{chr(ord('b') + i)} [*{chr(ord('a') + i)}, *{chr(ord('a') + i)},"
    f" *{chr(ord('a') + i)}, *{chr(ord('a') + i)}]" for i in range(8)] + ["entrypoint: x"])
CATASTROPHIC = ("^/api/v1/(a+)+$", "(a|aa)*$", "(.*)*x", r"(\w+\s?)+$", ".*.*.*x")
"""Exponential for a backtracking engine, linear for RE2: accepted."""
NOT_GO_SYNTAX = (r"(x)\1", "(?>a+)+b", "^/api/v1/(?!auth/)", "(?<=v1)/x", "[")


class TestBodiesAndConfigs(MasterTestCase):
    master_options = {"scale": 10, "max_upload_mb": 1}

    def test_an_oversized_login_body_is_413_unread(self) -> None:
        response = requests.post(f"{self.url}/api/v1/auth/login", timeout=60,
                                 data=b"{" + b" " * MAX_JSON_BODY + b"}",
                                 headers={"Content-Type": "application/json",
                                          "Connection": "close"})
        self.assertEqual((response.status_code, response.json()["code"]), (413, 8))

    def test_uploads_have_their_own_configurable_limit(self) -> None:
        session = self.login()
        big = {"config": "entrypoint: x\n", "modelDefinition": [
            {"path": "blob", "type": 48, "content": "A" * (2 * 1024 * 1024), "mode": 420}]}
        response = session.post(f"{self.url}/api/v1/experiments", json=big, timeout=60,
                                headers={"Connection": "close"})
        self.assertEqual(response.status_code, 413)

    def test_a_yaml_alias_bomb_is_refused(self) -> None:
        session = self.login()
        response = session.post(f"{self.url}/api/v1/experiments", timeout=30,
                                json={"config": BOMB, "modelDefinition": []})
        self.assertEqual((response.status_code, response.json()["code"]), (400, 3))
        self.assertIn("aliases are not allowed", response.json()["message"])


class TestFaultPatterns(MasterTestCase):
    master_options = {"scale": 10}

    def test_patterns_outside_go_syntax_are_refused_through_the_api(self) -> None:
        admin = self.login()
        for pattern in NOT_GO_SYNTAX + ("x" * (MAX_PATTERN_CHARS + 1),):
            with self.subTest(pattern=pattern):
                response = admin.post(f"{self.url}/standin/faults", json={"path": pattern},
                                      timeout=10)
                self.assertEqual(response.status_code, 400)
        self.assertEqual(requests.get(f"{self.url}/standin/faults", timeout=10).json()["rules"], [])


class TestPatternCheck(unittest.TestCase):
    def test_ordinary_patterns_pass(self) -> None:
        for pattern in CATASTROPHIC + (r"^/api/v1/trials/\d+/metrics$",
                        "^/api/v1/(experiments|trials)$", r"/experiments/[0-9]+/checkpoints", ""):
            with self.subTest(pattern=pattern):
                self.assertEqual(check_pattern(pattern), pattern)

    def test_refused_shapes(self) -> None:
        for pattern in NOT_GO_SYNTAX:
            with self.subTest(pattern=pattern), self.assertRaises(FaultSpecError):
                check_pattern(pattern)

    def test_unless_takes_the_place_of_a_look_ahead(self) -> None:
        injector = FaultInjector(({"path": "^/api/v1/", "unless": "^/api/v1/(auth/|master$)",
                                   "error_rate": 1.0},))
        self.assertEqual(injector.plan("GET", "/api/v1/experiments")[1], "error")
        self.assertEqual(injector.plan("GET", "/api/v1/masters")[1], "error")
        self.assertIsNone(injector.plan("POST", "/api/v1/auth/login")[1])
        self.assertIsNone(injector.plan("GET", "/api/v1/master")[1])
