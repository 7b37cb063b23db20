"""Fault rules as plain data, and the parsers of the CLI's fault options (stdlib only).

A rule is a dict::

    {"path": "<regex searched in the request path>", "unless": "<regex>" | null,
     "method": "GET" | null,
     "latency_ms": float, "jitter_ms": float, "error_rate": 0..1, "status": 500,
     "hang": bool, "drop_rate": 0..1, "count": null | int,
     "every": null | int, "first": null | int, "sequence": null | "x..x",
     "capacity": null | int}

``capacity: C`` serves at most C matching requests at once; the others wait their turn, first
come first served, and a latency of the same requests is spent inside the slot (it is the
service time): a server of known capacity, whose queueing starts where the theory says.
``count`` limits the rule to the next N matching requests. At most one *selector* makes a rule
deterministic: it picks which matching requests the rule acts on (its latency, drop, hang or
error), counting the rule's matches from 1:

* ``every: N``    the Nth, 2Nth, 3Nth... matching request;
* ``first: N``    the first N matching requests, then none;
* ``sequence: S`` a string of ``x`` (act) and ``.`` (pass), repeated over the matches.

A picked request still draws its rates, so ``drop_rate: 1`` with ``every: 2`` drops exactly
every second match. CLI forms (a selector stands in for the rate and means rate 1)::

    --latency MS[:JITTER][@REGEX]   --error-rate R[:STATUS][@REGEX]
    --hang REGEX                    --drop-rate R[@REGEX]        --fault JSON
    --capacity C[@REGEX]
    R = 0..1 | every=N | first=N | seq=x..x

``path`` and ``unless`` are RE2 regexes (Go's syntax, as the master's; ``common.regex``),
searched in the request path: a rule acts where ``path`` matches and ``unless`` does not
(RE2 has no look-ahead, so ``unless`` says what ``^/api/v1/(?!auth/)`` would).
"""
from __future__ import annotations

import json
from typing import Any

from daist.standin.common.regex import BadRegex, compile_regex

SELECTORS = ("every", "first", "sequence")
RULE_DEFAULTS: dict[str, Any] = {
    "path": "", "unless": None, "method": None, "latency_ms": 0.0, "jitter_ms": 0.0, "error_rate": 0.0,
    "status": 500, "hang": False, "drop_rate": 0.0, "count": None,
    "every": None, "first": None, "sequence": None, "capacity": None,
}
READ_ONLY = ("matched",)
"""Keys ``GET /standin/faults`` adds to a rule; ignored when a rule read back is sent again."""
MAX_SEQUENCE_CHARS = 1024


class FaultSpecError(ValueError):
    """A fault option or rule that cannot be used; the message is one sentence."""


def check_pattern(pattern: str, what: str = "fault path") -> str:
    """``pattern`` if RE2 takes it, else ``FaultSpecError``."""
    try:
        compile_regex(pattern, what)
    except BadRegex as exc:
        raise FaultSpecError(str(exc)) from None
    return pattern


def _rate(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultSpecError(f"{option} needs a rate between 0 and 1, not {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise FaultSpecError(f"{option} needs a rate between 0 and 1, not {text!r}")
    return value


def _positive(rule: dict[str, Any], key: str) -> None:
    value = rule[key]
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise FaultSpecError(f"{key} must be a positive integer, not {value!r}")
    try:
        rule[key] = int(value)
    except ValueError:
        raise FaultSpecError(f"{key} must be a positive integer, not {value!r}") from None
    if rule[key] < 1:
        raise FaultSpecError(f"{key} must be a positive integer, not {value!r}")


def _sequence(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = "".join("x" if item else "." for item in value)
    if (not isinstance(value, str) or not value or len(value) > MAX_SEQUENCE_CHARS
            or set(value) - {"x", "."}):
        raise FaultSpecError("sequence must be 1 to 1024 characters of 'x' (act) and '.' (pass)")
    return value


def normalize_rule(raw: Any) -> dict[str, Any]:
    """Validate a rule dict and fill in defaults; raises ``FaultSpecError``."""
    if not isinstance(raw, dict):
        raise FaultSpecError("a fault rule must be a JSON object")
    raw = {key: value for key, value in raw.items() if key not in READ_ONLY}
    unknown = sorted(set(raw) - set(RULE_DEFAULTS))
    if unknown:
        raise FaultSpecError(f"unknown fault rule keys: {', '.join(map(str, unknown))}")
    rule = {**RULE_DEFAULTS, **raw}
    if not isinstance(rule["path"] or "", str):
        raise FaultSpecError("fault path must be a string")
    rule["path"] = check_pattern(rule["path"] or "")
    if rule["unless"] is not None:
        if not isinstance(rule["unless"], str):
            raise FaultSpecError("fault unless must be a string")
        rule["unless"] = check_pattern(rule["unless"], "fault unless")
    if rule["method"] is not None:
        rule["method"] = str(rule["method"]).upper()
    try:
        for key in ("latency_ms", "jitter_ms"):
            rule[key] = float(rule[key])
            if rule[key] < 0:
                raise FaultSpecError(f"{key} must not be negative")
        for key in ("error_rate", "drop_rate"):
            rule[key] = _rate(str(rule[key]), key)
        rule["status"] = int(rule["status"])
        rule["hang"] = bool(rule["hang"])
        if rule["count"] is not None:
            rule["count"] = int(rule["count"])
    except (TypeError, ValueError) as exc:
        if isinstance(exc, FaultSpecError):
            raise
        raise FaultSpecError(f"bad value in fault rule: {exc}") from None
    if not 100 <= rule["status"] <= 599:
        raise FaultSpecError(f"status must be an HTTP status code, not {rule['status']}")
    _positive(rule, "every")
    _positive(rule, "first")
    _positive(rule, "capacity")
    rule["sequence"] = _sequence(rule["sequence"])
    chosen = [key for key in SELECTORS if rule[key] is not None]
    if len(chosen) > 1:
        raise FaultSpecError(f"a fault rule takes one of every, first, sequence, not "
                             f"{' and '.join(chosen)}")
    return rule


def selected(rule: dict[str, Any], match_number: int) -> bool:
    """Whether a rule acts on its ``match_number``-th matching request (counted from 1)."""
    if rule["every"] is not None:
        return match_number % rule["every"] == 0
    if rule["first"] is not None:
        return match_number <= rule["first"]
    if rule["sequence"] is not None:
        sequence = rule["sequence"]
        return sequence[(match_number - 1) % len(sequence)] == "x"
    return True


def _split_regex(text: str) -> tuple[str, str]:
    value, sep, regex = text.partition("@")
    return value, regex if sep else ""


def _rate_or_selector(text: str, option: str) -> dict[str, Any]:
    """``R`` -> that rate; ``every=N``, ``first=N``, ``seq=x..x`` -> rate 1 and the selector."""
    name, sep, value = text.partition("=")
    if not sep:
        return {"rate": _rate(text, option)}
    key = {"every": "every", "first": "first", "seq": "sequence"}.get(name.strip())
    if key is None:
        raise FaultSpecError(f"{option} takes R, every=N, first=N or seq=x..x, not {text!r}")
    return {"rate": 1.0, key: value.strip()}


def parse_option(option: str, value: str) -> dict[str, Any]:
    """One CLI fault option (``latency``, ``error-rate``, ``hang``, ``drop-rate``, ``capacity``,
    ``fault``)."""
    option = option.lstrip("-")
    if option == "fault":
        try:
            return normalize_rule(json.loads(value))
        except json.JSONDecodeError:
            raise FaultSpecError(f"--fault needs a JSON object, not {value!r}") from None
    if option == "hang":
        return normalize_rule({"path": value, "hang": True})
    head, regex = _split_regex(value)
    if option == "capacity":
        return normalize_rule({"path": regex, "capacity": head.strip()})
    if option == "latency":
        ms, _, jitter = head.partition(":")
        try:
            return normalize_rule({"path": regex, "latency_ms": float(ms),
                                   "jitter_ms": float(jitter or 0)})
        except ValueError:
            raise FaultSpecError(f"--latency needs MS[:JITTER][@REGEX], not {value!r}") from None
    if option == "error-rate":
        rate, _, status = head.partition(":")
        if status and not status.isdigit():
            raise FaultSpecError(f"--error-rate needs R[:STATUS][@REGEX], not {value!r}")
        chosen = _rate_or_selector(rate, "--error-rate")
        return normalize_rule({"path": regex, "error_rate": chosen.pop("rate"),
                               "status": int(status or 500), **chosen})
    if option == "drop-rate":
        chosen = _rate_or_selector(head, "--drop-rate")
        return normalize_rule({"path": regex, "drop_rate": chosen.pop("rate"), **chosen})
    raise FaultSpecError(f"unknown fault option --{option}")
