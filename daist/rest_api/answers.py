"""Is a 2xx answer the JSON Determined sends for that endpoint (``catalogue.ANSWERS``)? A master
that answers HTML ``200`` (a proxy's error page, a UI catch-all) must not pass a load test.

Cheap on the hot path: every answer's first byte is checked (a JSON object starts with ``{``);
the full parse and the key check run on the first answer of each endpoint a user gets, then on
every ``FULL_CHECK_EVERY``-th, and parse answers up to ``FULL_PARSE_MAX_BYTES`` only (an
answer the same as the last one parsed for its endpoint is not parsed again). Measured
(README, Benchmarks): a 1.2 KB answer costs 0.1 us to check by its first byte and 10 us to
parse, against ~150 us of generator CPU per request; parsing every answer cost 10-16 % of
generator throughput in ``benchmarks/locust_bench.py``."""
from __future__ import annotations

import json
from typing import Any

from daist.rest_api.catalogue import ANSWERS, BYTES, STREAM

FULL_CHECK_EVERY = 10
FULL_PARSE_MAX_BYTES = 65_536
"""Larger answers (a long list: parsing 180 KB costs ~1 ms, several requests' worth of
generator time) get a byte-level check instead: a closing ``}`` and the key's name in them."""
PREFIX = "invalid response"


def problem(body: bytes, expected: str, *, full: bool) -> str | None:
    """None when ``body`` fits ``expected`` (an ``ANSWERS`` value); else the failure message,
    stable per kind of problem (Locust and the recorder group failures by message)."""
    if expected == BYTES:
        return None
    if expected == STREAM and not body:
        return None  # a stream with no entries (a trial without logs)
    first = body[:1]
    if first != b"{" and body.lstrip()[:1] != b"{":
        return f"{PREFIX}: not a JSON object (starts {_start(body)!r})"
    if not full:
        return None
    text = body.split(b"\n", 1)[0] if expected == STREAM else body
    if len(text) > FULL_PARSE_MAX_BYTES:
        return _large(text, "result" if expected == STREAM else expected)
    try:
        data: Any = json.loads(text)
    except ValueError:
        return f"{PREFIX}: malformed JSON"
    key = "result" if expected == STREAM else expected
    if not isinstance(data, dict):
        return f"{PREFIX}: not a JSON object"
    if key and key not in data:
        return f"{PREFIX}: no {key!r} key"
    return None


def _large(text: bytes, key: str) -> str | None:
    if text.rstrip()[-1:] != b"}":
        return f"{PREFIX}: malformed JSON"
    if key and f'"{key}":'.encode() not in text:
        return f"{PREFIX}: no {key!r} key"
    return None


def _start(body: bytes) -> str:
    return " ".join(body[:24].decode("utf-8", "replace").split()) or "empty"


class AnswerCheck:
    """One user's checker: counts answers per endpoint to pick the fully parsed ones. A full
    check of an answer equal, byte for byte, to the last one fully checked for that endpoint in
    this process takes that one's verdict (``problem`` depends on nothing else): a master
    mostly repeats itself, and comparing 1.5 KB costs a hundredth of parsing it."""

    last_full: dict[str, tuple[bytes, str | None]] = {}
    """Endpoint -> the last fully checked answer and its verdict, shared by the users of the
    process (one answer of at most ``FULL_PARSE_MAX_BYTES`` per endpoint)."""

    def __init__(self, *, every: int = FULL_CHECK_EVERY) -> None:
        self.every = every
        self.seen: dict[str, int] = {}

    def __call__(self, test_name: str, body: bytes) -> str | None:
        seen = self.seen
        count = seen.get(test_name, 0)
        seen[test_name] = count + 1
        if count % self.every:
            # the common case, as ``problem`` would judge it: a JSON object passes every kind
            return None if body[:1] == b"{" else problem(body, ANSWERS.get(test_name, ""),
                                                          full=False)
        expected = ANSWERS.get(test_name, "")
        last = self.last_full.get(test_name)
        if last is not None and last[0] == body:
            return last[1]
        verdict = problem(body, expected, full=True)
        if len(body) <= FULL_PARSE_MAX_BYTES:
            self.last_full[test_name] = (body, verdict)
        return verdict
