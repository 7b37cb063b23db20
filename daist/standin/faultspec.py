"""Fault rules as plain data, and the parsers of the CLI's fault options (stdlib only).

A rule is a dict::

    {"path": "<regex searched in the request path>", "method": "GET" | null,
     "latency_ms": float, "jitter_ms": float, "error_rate": 0..1, "status": 500,
     "hang": bool, "drop_rate": 0..1, "count": null | int}

``count`` limits the rule to the next N matching requests. CLI forms::

    --latency MS[:JITTER][@REGEX]   --error-rate R[:STATUS][@REGEX]
    --hang REGEX                    --drop-rate R[@REGEX]        --fault JSON
"""
from __future__ import annotations

import json
import re
from typing import Any

RULE_DEFAULTS: dict[str, Any] = {
    "path": "", "method": None, "latency_ms": 0.0, "jitter_ms": 0.0, "error_rate": 0.0,
    "status": 500, "hang": False, "drop_rate": 0.0, "count": None,
}


class FaultSpecError(ValueError):
    """A fault option or rule that cannot be used; the message is one sentence."""


def _rate(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultSpecError(f"{option} needs a rate between 0 and 1, not {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise FaultSpecError(f"{option} needs a rate between 0 and 1, not {text!r}")
    return value


def _split_regex(text: str) -> tuple[str, str]:
    value, sep, regex = text.partition("@")
    return value, regex if sep else ""


def normalize_rule(raw: Any) -> dict[str, Any]:
    """Validate a rule dict and fill in defaults; raises ``FaultSpecError``."""
    if not isinstance(raw, dict):
        raise FaultSpecError("a fault rule must be a JSON object")
    unknown = sorted(set(raw) - set(RULE_DEFAULTS))
    if unknown:
        raise FaultSpecError(f"unknown fault rule keys: {', '.join(unknown)}")
    rule = {**RULE_DEFAULTS, **raw}
    try:
        re.compile(str(rule["path"] or ""))
    except re.error as exc:
        raise FaultSpecError(f"fault path {rule['path']!r} is not a valid regex: {exc}") from None
    rule["path"] = str(rule["path"] or "")
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
    return rule


def parse_option(option: str, value: str) -> dict[str, Any]:
    """One CLI fault option (``latency``, ``error-rate``, ``hang``, ``drop-rate``, ``fault``)."""
    option = option.lstrip("-")
    if option == "fault":
        try:
            return normalize_rule(json.loads(value))
        except json.JSONDecodeError:
            raise FaultSpecError(f"--fault needs a JSON object, not {value!r}") from None
    if option == "hang":
        return normalize_rule({"path": value, "hang": True})
    head, regex = _split_regex(value)
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
        return normalize_rule({"path": regex, "error_rate": _rate(rate, "--error-rate"),
                               "status": int(status or 500)})
    if option == "drop-rate":
        return normalize_rule({"path": regex, "drop_rate": _rate(head, "--drop-rate")})
    raise FaultSpecError(f"unknown fault option --{option}")
