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
MAX_MATCHED_CHARS = 512
"""Text a checked pattern may be matched against; callers cut longer text (or skip it) to this.
The cost bounds below hold only on text this short."""
MAX_REPEATS = 2
"""Open-ended quantifiers (``*``, ``+``, ``{n,}``) one pattern may hold. Without nesting,
backtracking grows with the text's length to the power of (repeats + 1), so on a capped text
the worst accepted pattern costs milliseconds, not minutes."""
MAX_CHOICES = 128
"""Bound on the product of the bounded choices at one position: a bounded quantifier counts
its number of lengths (``a?`` 2, ``\d{1,3}`` 3), an alternation its branches. Small choices in
sequence multiply (``a?`` or ``(a|aa)`` thirty times over is as catastrophic as ``(a+)+``),
and each open-ended quantifier multiplies them again, so the bound is 8 times smaller per
open-ended quantifier: 128, 16, 2."""

_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT)}


class UnsafeRegex(ValueError):
    """A pattern that is invalid, too long or can backtrack catastrophically (one sentence)."""


def _exclusive(branches: list[Any]) -> bool:
    """Whether at most one branch can match at a position: each starts with its own literal
    character (``experiments|trials``)."""
    firsts = [branch[0] for branch in branches if len(branch)]
    return (len(firsts) == len(branches) and all(op is sre.LITERAL for op, _ in firsts)
            and len({char for _, char in firsts}) == len(firsts))


def _walk(items: Any, inside_repeat: bool, found: list[str]) -> tuple[int, int]:
    """(open-ended repeats, product of choices) of a parsed pattern; notes in ``found`` the
    shapes that are unsafe whatever their size."""
    repeats, choices = 0, 1
    for op, arg in items:
        inner = (0, 1)
        if op in _REPEATS:
            low, high, body = arg
            if inside_repeat and high != 1:
                found.append("a quantifier inside a quantified group")
            is_open = high == sre.MAXREPEAT
            repeats += is_open
            choices *= 1 if is_open else high - low + 1
            inner = _walk(body, inside_repeat or high != 1, found)
        elif op is sre.BRANCH:
            if inside_repeat:
                found.append("an alternation inside a quantified group")
            for branch in arg[1]:
                r, c = _walk(branch, inside_repeat, found)
                repeats, choices = repeats + r, choices * c
            choices *= 1 if _exclusive(arg[1]) else len(arg[1])
        elif op is sre.SUBPATTERN:
            inner = _walk(arg[-1], inside_repeat, found)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            inner = _walk(arg[1], inside_repeat, found)
        elif op is sre.GROUPREF or op is sre.GROUPREF_EXISTS:
            found.append("a back-reference")
        repeats, choices = repeats + inner[0], choices * inner[1]
    return repeats, choices


def check_regex(pattern: str, what: str) -> str:
    """``pattern`` if it matches in polynomial time, else ``UnsafeRegex`` naming ``what``.

    Refused: more than ``MAX_PATTERN_CHARS`` characters, a quantifier or an alternation inside
    a quantified group (``(a+)+``, ``(a|aa)*``: exponential backtracking), back-references, and
    more than ``MAX_REPEATS`` open-ended quantifiers, and more choices than ``MAX_CHOICES``
    allows.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        raise UnsafeRegex(f"{what} has {len(pattern)} characters; at most "
                          f"{MAX_PATTERN_CHARS} are allowed")
    try:
        parsed = sre.parse(pattern)
    except re.error as exc:
        raise UnsafeRegex(f"{what} {pattern!r} is not a valid regex: {exc}") from None
    found: list[str] = []
    repeats, choices = _walk(parsed, False, found)
    if repeats > MAX_REPEATS:
        found.append(f"{repeats} open-ended quantifiers (at most {MAX_REPEATS})")
    elif choices > MAX_CHOICES >> 3 * repeats:
        found.append(f"bounded quantifiers and alternations giving {choices:.3g} ways to match"
                     f" (at most {MAX_CHOICES >> 3 * repeats} with {repeats} open-ended ones)")
    if found:
        raise UnsafeRegex(f"{what} {pattern!r} is refused: it has {found[0]}, which can "
                          "make matching backtrack for minutes")
    return pattern
