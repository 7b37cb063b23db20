"""Regexes from outside (requests, settings) compiled and matched by RE2.

The master compiles log policies, webhook TASK_LOG conditions and the like with Go's
``regexp``, which is RE2: its syntax (no look-arounds, back-references or atomic groups: a
pattern that uses them is invalid there and here) and matching in time linear in the text,
whatever the pattern. ``re2`` (google-re2) gives the stand-in the same engine, so a pattern
from a request can neither stall the event loop nor be judged differently from the master.
Matching is a search anywhere in the text, as Go's ``MatchString``.
"""
from __future__ import annotations

import functools

import re2

MAX_PATTERN_CHARS = 4096
"""Compiling costs time and memory in proportion to the pattern; no legitimate pattern of a
webhook, log policy or fault rule comes near this."""


class BadRegex(ValueError):
    """A pattern RE2 (Go's regexp) does not take, or one too long; the message is one sentence."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # the error is ours to report, not a line on the server's stderr
    return options


@functools.lru_cache(maxsize=256)  # the master keeps its compiled patterns in an LRU of 256 too
def compile_regex(pattern: str, what: str = "regex") -> re2._Regexp:
    """``pattern`` compiled by RE2, or ``BadRegex`` naming ``what``."""
    if not isinstance(pattern, str):
        raise BadRegex(f"{what} must be a string, not {type(pattern).__name__}")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise BadRegex(f"{what} has {len(pattern)} characters; at most {MAX_PATTERN_CHARS} "
                       "are allowed")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise BadRegex(f"{what} {pattern!r} is not a valid regex: {reason}") from None


def searches(pattern: str, text: str) -> bool:
    """Whether ``pattern`` (already accepted by ``compile_regex``) matches anywhere in ``text``."""
    return compile_regex(pattern).search(text) is not None
