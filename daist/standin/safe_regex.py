"""Refuse regexes that could backtrack catastrophically (stdlib only).

User-supplied patterns (fault-rule paths, webhook TASK_LOG conditions) are matched with
Python's ``re`` on the server's event loop, and ``re`` has no match timeout; so the shapes that
make matching exponential are refused before a pattern is ever used, and callers cap the text
they match against.
"""
from __future__ import annotations

import re
import re._parser as sre  # the stdlib's own regex parser: the structure it sees is the truth
from typing import Any

MAX_PATTERN_CHARS = 256
MAX_REPEATS = 2
"""Open-ended quantifiers (``*``, ``+``, ``{n,}``) one pattern may hold. Without nesting,
backtracking grows with the text's length to the power of (repeats + 1), so on a capped text
the worst accepted pattern costs milliseconds, not minutes."""

_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT)}


class UnsafeRegex(ValueError):
    """A pattern that is invalid, too long or can backtrack catastrophically (one sentence)."""


def _walk(items: Any, inside_repeat: bool, found: list[str]) -> int:
    """Count the open-ended repeats in a parsed pattern; note in ``found`` what is unsafe."""
    repeats = 0
    for op, arg in items:
        if op in _REPEATS:
            low, high, body = arg
            if inside_repeat and high != 1:
                found.append("a quantifier inside a quantified group")
            repeats += (high == sre.MAXREPEAT) + _walk(body, inside_repeat or high != 1, found)
        elif op is sre.BRANCH:
            if inside_repeat:
                found.append("an alternation inside a quantified group")
            for branch in arg[1]:
                repeats += _walk(branch, inside_repeat, found)
        elif op is sre.SUBPATTERN:
            repeats += _walk(arg[-1], inside_repeat, found)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            repeats += _walk(arg[1], inside_repeat, found)
        elif op is sre.GROUPREF or op is sre.GROUPREF_EXISTS:
            found.append("a back-reference")
    return repeats


def check_regex(pattern: str, what: str) -> str:
    """``pattern`` if it matches in polynomial time, else ``UnsafeRegex`` naming ``what``.

    Refused: more than ``MAX_PATTERN_CHARS`` characters, a quantifier or an alternation inside
    a quantified group (``(a+)+``, ``(a|aa)*``: exponential backtracking), back-references, and
    more than ``MAX_REPEATS`` open-ended quantifiers.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        raise UnsafeRegex(f"{what} has {len(pattern)} characters; at most "
                          f"{MAX_PATTERN_CHARS} are allowed")
    try:
        parsed = sre.parse(pattern)
    except re.error as exc:
        raise UnsafeRegex(f"{what} {pattern!r} is not a valid regex: {exc}") from None
    found: list[str] = []
    repeats = _walk(parsed, False, found)
    if repeats > MAX_REPEATS:
        found.append(f"{repeats} open-ended quantifiers (at most {MAX_REPEATS})")
    if found:
        raise UnsafeRegex(f"{what} {pattern!r} is refused: it has {found[0]}, which can "
                          "make matching backtrack for minutes")
    return pattern
