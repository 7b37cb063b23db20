"""Issue 24, hole 2: every regex from a request or a setting is compiled and matched by RE2, as
the master's Go regexp: what Go refuses (atomic groups, look-arounds, back-references) is
refused, what Go takes is taken however many ``.*`` it has, and no pattern can make a match
take longer than linear time (the heuristic checker missed ``(?>...)`` and refused
``executing.*action.*exit.*code.*7``)."""
from __future__ import annotations

import json
import unittest
from typing import Any

from daist.app import check_faults
from daist.framework.errors import ConfigError
from daist.standin.common.errors import BadRequest
from daist.standin.common.regex import BadRegex, compile_regex, searches
from daist.standin.seed.seeder import SeedSpec, seed_store
from daist.standin.state.store import StandinStore
from daist.standin.trials.log_policies import compile_policies, matches

LEGITIMATE = "executing.*action.*exit.*code.*7"
ATOMIC = "(?>a+)+b"
EXPONENTIAL = "(a+)+$"  # 2^n steps for a backtracking engine on "aaa...a!"
HOSTILE_LINE = "a" * 50_000 + "!"


def task_log_hook(regex: str) -> dict[str, Any]:
    return {"url": "http://127.0.0.1:1/hook", "triggers": [
        {"triggerType": "TRIGGER_TYPE_TASK_LOG", "condition": {"regex": regex}}]}


class TestEngine(unittest.TestCase):
    def test_go_syntax_is_the_rule(self) -> None:
        for pattern in (ATOMIC, "(?!x)", "(?<=x)y", r"(a)\1"):
            with self.subTest(pattern=pattern), self.assertRaises(BadRegex):
                compile_regex(pattern, "test regex")
        self.assertTrue(searches(LEGITIMATE, "step 3: executing the action; exit code 7"))

    def test_a_search_finds_a_match_anywhere_and_never_backtracks(self) -> None:
        self.assertTrue(searches("exit", "the exit code"))  # MatchString: anywhere in the line
        self.assertFalse(searches("a$", "a\n"))  # Go's $ without (?m): the end of the text only
        self.assertFalse(searches(EXPONENTIAL, HOSTILE_LINE))


class TestWebhookConditions(unittest.TestCase):
    def setUp(self) -> None:
        self.store = StandinStore()
        self.addCleanup(self.store.close)
        seed_store(self.store, SeedSpec(scale=10))
        self.sent: list[dict[str, Any]] = []
        self.store.webhook_sink = lambda url, payload: self.sent.append(json.loads(payload))

    def test_an_atomic_group_is_a_400_and_a_legitimate_pattern_is_taken(self) -> None:
        with self.assertRaises(BadRequest) as raised:
            self.store.add_webhook(task_log_hook(ATOMIC))
        self.assertIn("not a valid regex", str(raised.exception))
        self.store.add_webhook(task_log_hook(LEGITIMATE))
        self.store.add_webhook(task_log_hook(EXPONENTIAL))
        task_id = self.store.get_trial(1).task_id
        self.store.add_logs(task_id=task_id, allocation_id=f"{task_id}.1", lines=[
            (1.0, "stdout", HOSTILE_LINE), (2.0, "stdout", "executing action, exit code 7")])
        self.assertEqual([event["condition"]["regex"] for event in self.sent], [LEGITIMATE])


class TestLogPoliciesAndSettings(unittest.TestCase):
    def test_log_policies_use_go_syntax(self) -> None:
        with self.assertRaises(BadRequest):
            compile_policies({"log_policies": [{"name": "x", "pattern": ATOMIC}]})
        policies = compile_policies({"log_policies": [{"name": "exit", "pattern": LEGITIMATE},
                                                      {"name": "slow", "pattern": EXPONENTIAL}]})
        self.assertEqual([p.name for p in matches(policies, "executing action: exit code 7")],
                         ["exit"])
        self.assertEqual(matches(policies, HOSTILE_LINE), [])

    def test_fault_settings_are_checked_by_re2_before_the_run(self) -> None:
        check_faults(f"--hang '{LEGITIMATE}' --latency 5@'(a+)+$'")
        with self.assertRaisesRegex(ConfigError, r"^\[standin\] faults: fault path .* is not a "
                                                 r"valid regex"):
            check_faults("--hang '^/api/v1/(?!auth)'")


if __name__ == "__main__":
    unittest.main()
