"""The faults a run injected into its stand-in target, in words: the session records the
stand-in's rules in the manifest (``metadata["standin_faults"]``), and a run measured with
faults must never read like a clean one (console summary, HTML report, compare)."""
from __future__ import annotations

from typing import Any

from daist.report import fmt

FAULTS_KEY = "standin_faults"
SELECTORS = ("every", "first", "sequence")


def fault_rules(metadata: dict[str, Any]) -> list[Any]:
    """The recorded rules (empty: none recorded, or no fault)."""
    rules = metadata.get(FAULTS_KEY) or []
    return rules if isinstance(rules, list) else [rules]


def describe_rule(rule: Any) -> str:
    """``GET ^/api/v1/agents$: 503 errors (sequence x.)``; a rule of an unexpected shape is
    shown as recorded, never dropped."""
    if not isinstance(rule, dict):
        return f"unreadable rule {fmt.shorten(repr(rule), 80)}"
    acts = []
    if _number(rule.get("latency_ms")) > 0:
        jitter = _number(rule.get("jitter_ms"))
        spread = f" ±{jitter:g}" if jitter else ""
        acts.append(f"+{rule['latency_ms']:g}{spread} ms latency")
    if _number(rule.get("error_rate")) > 0:
        acts.append(f"{rule.get('status', 500)} errors at rate {rule['error_rate']:g}")
    if _number(rule.get("drop_rate")) > 0:
        acts.append(f"dropped connections at rate {rule['drop_rate']:g}")
    if rule.get("hang"):
        acts.append("hangs")
    picks = [f"{name} {rule[name]}" for name in SELECTORS if rule.get(name) not in (None, "")]
    if rule.get("count") is not None:
        picks.append(f"next {rule['count']} only")
    where = " ".join(str(part) for part in (rule.get("method"), rule.get("path") or "every path")
                     if part)
    picked = f" ({', '.join(picks)})" if picks else ""
    return f"{fmt.shorten(where, 80)}: {', '.join(acts) or 'no effect'}{picked}"


def faults_line(metadata: dict[str, Any]) -> str | None:
    """One sentence naming every injected fault; None for a run without any."""
    rules = fault_rules(metadata)
    if not rules:
        return None
    return (f"faults were injected into the stand-in ({len(rules)} rule"
            f"{'s' if len(rules) > 1 else ''}): " + "; ".join(map(describe_rule, rules)))


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
