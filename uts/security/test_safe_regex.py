"""Issue 12, item 4: the shapes of regex that backtrack catastrophically are refused before
a fault rule or a webhook uses them, including sequences of small choices (``a?a?a?...``),
which no single quantifier gives away."""
from __future__ import annotations

import unittest

from daist.standin.common.safe_regex import UnsafeRegex, check_regex

ORDINARY = (r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", ".*(experiments|trials|checkpoints).*",
            "ERROR .*failed", r"^/api/v1/trials/\d+/metrics$", "^/api/v1/(?!auth/|master$)",
            ".*.*x", "(?:GET|POST) /api")
SMALL_CHOICES = ("(?:a|aa)" * 30 + "x", "a?" * 40 + "a" * 40, "a{0,99}" * 3 + "b",
                 ".*.*" + "(?:a|aa)" * 7 + "b")


class TestCheckRegex(unittest.TestCase):
    def test_ordinary_patterns_pass(self) -> None:
        for pattern in ORDINARY:
            with self.subTest(pattern=pattern):
                self.assertEqual(check_regex(pattern, "test regex"), pattern)

    def test_sequences_of_small_choices_are_refused(self) -> None:
        for pattern in SMALL_CHOICES:
            with self.subTest(pattern=pattern), self.assertRaises(UnsafeRegex) as raised:
                check_regex(pattern, "test regex")
            self.assertIn("ways to match", str(raised.exception))
            self.assertTrue(str(raised.exception).startswith("test regex "))
