"""What a run without test names is about to do: which tests, and roughly how long by the
settings, said before anything starts (the defaults add up to a quarter of an hour or more)."""
from __future__ import annotations

import unittest

from daist.framework.settings import Settings
from daist.framework.testcase import iter_tests
from daist.models.result import test_key


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def plan_notice(suite: unittest.TestSuite, settings: Settings) -> str:
    """One paragraph: the tests, the time the known ones take by the settings, and the tests
    whose time only the cluster decides (a test class answers ``planned_seconds``)."""
    tests = list(iter_tests(suite))
    known, unknown, skipping = 0.0, [], []
    for test in tests:
        planned = getattr(type(test), "planned_seconds", lambda _settings: None)(settings)
        if planned is None:
            unknown.append(test_key(test.id()))
        elif planned == 0:  # the test will skip itself, as its settings stand
            skipping.append(test_key(test.id()))
        else:
            known += planned
    names = ", ".join(test_key(t.id()) for t in tests)
    timing = f"about {duration_text(known)} by the settings"
    if unknown:
        timing += f", plus {', '.join(unknown)}, whose time depends on the cluster"
    if skipping:
        timing += f" ({', '.join(skipping)} will skip, as the settings stand)"
    return (f"daist: no test names given, so these {len(tests)} cluster tests run: {names}; "
            f"{timing}. Name tests to run fewer (--list shows them; -t/--run-time shortens "
            "each load).")
