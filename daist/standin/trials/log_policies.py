"""``log_policies``: regexes over a trial's log lines that name a match and may stop retries.

The expanded config carries the master's two default policies (CUDA OOM, ECC Error: they only
name the match) unless the user's list names them; a policy without a pattern does nothing.
Like the master, lines holding the config itself (``"log_policies":``) are never matched, and
matching is a search anywhere in the line, by RE2 (Go's regexp, as the master's: linear time, so
no line can stall the event loop).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from daist.standin.common.errors import BadRequest
from daist.standin.common.regex import BadRegex, compile_regex, searches
from daist.standin.state.webhooks import CONFIG_MARK

DEFAULT_POLICIES = (
    {"name": "CUDA OOM", "pattern": ".*CUDA out of memory.*"},
    {"name": "ECC Error", "pattern": ".*uncorrectable ECC error encountered.*"},
)
ACTIONS = ("cancel_retries", "exclude_node")


@dataclass(frozen=True)
class LogPolicy:
    name: str | None
    pattern: str
    action: str | None  # one of ACTIONS, or None: only name the match


def with_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the default policies added (the user's list wins by name)."""
    policies = config.get("log_policies")
    if policies is None:
        policies = []
    if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
        raise BadRequest("log_policies must be a list of mappings")
    names = {p.get("name") for p in policies if p.get("name") is not None}
    extra = [copy.deepcopy(p) for p in DEFAULT_POLICIES if p["name"] not in names]
    return {**config, "log_policies": [*policies, *extra]}


def _action(item: dict[str, Any]) -> str | None:
    action = item.get("action")
    kind = action.get("type") if isinstance(action, dict) else action
    if kind is not None and kind not in ACTIONS:
        raise BadRequest(f"log policy action must be one of {', '.join(ACTIONS)}, not {kind!r}")
    return kind


def compile_policies(config: dict[str, Any]) -> list[LogPolicy]:
    """The config's policies that have a pattern, compiled (bad regexes are a 400)."""
    out = []
    for item in config.get("log_policies") or []:
        if not isinstance(item, dict) or not item.get("pattern"):
            continue
        pattern = str(item["pattern"])
        try:
            compile_regex(pattern, "log policy pattern")
        except BadRegex as exc:
            raise BadRequest(str(exc)) from None
        out.append(LogPolicy(name=item.get("name"), pattern=pattern, action=_action(item)))
    return out


def matches(policies: list[LogPolicy], line: str) -> list[LogPolicy]:
    if CONFIG_MARK in line:
        return []
    return [p for p in policies if searches(p.pattern, line)]
