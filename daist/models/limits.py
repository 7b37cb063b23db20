"""One limits grammar for both test kinds, and ``Limits``, the parsed limits a run saves
(``Limits-<tags>.json``) so that its verdict, its report and ``compare`` read the same numbers.

A limit's value: empty means no limit; a number > 0 is the limit (milliseconds, or for ``fail``
a ratio up to 1). 0 is refused: a limit of 0 ms or 0 % is never what a user means.

Rules are joined by ``;``, each ``SELECTOR:STAT[@LEVEL]=VALUE[,STAT[@LEVEL]=VALUE...]``:

- ``[locust] slo`` (``LOAD``): SELECTOR an endpoint class (``get``, ``list``, ``search``,
  ``write``), ``*`` or a catalogue test_name; STAT a percentile (``p50`` ... ``p99.9``) or
  ``fail``; no LEVEL. The most specific rule wins per STAT: test_name, class, ``*``, then the
  defaults ``p95_ms``/``p99_ms``; an empty value lifts a broader limit
  (``list:p95=2000; get experiments:p99=5000,fail=0.01; write:p95=``).
- ``[metrics] slo`` (``METRIC``): SELECTOR a measured operation; STAT a percentile, ``mean`` or
  ``max``; LEVEL a concurrency (without it the rule holds at every measured level)
  (``write:p95@32=250; visible:p99=1000``).

Results written before this grammar used 0 for "no limit"; ``saved_limits`` reads their saved
settings that way (``legacy``), while new input with 0 is refused."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

from daist.models.base import Artifact
from daist.models.percentiles import PERCENTILES, display

NO_ZERO = "0 is not a limit (leave the value empty for no limit)"
FAIL = "fail"
PERCENTILE_STATS = tuple(display(key) for key in PERCENTILES)
ENDPOINT_CLASSES = ("get", "list", "search", "write")
_PIECE = re.compile(r"^(?P<stat>[A-Za-z0-9._]+)\s*(?:@\s*(?P<level>[^=\s]*)\s*)?=\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Grammar:
    """What one kind's rules may say."""

    key: str
    """The setting, as every message names it: ``[locust] slo``."""
    stats: tuple[str, ...]
    levels: bool
    syntax: str
    """The rule's shape, shown when a rule has none."""


LOAD = Grammar("[locust] slo", (*PERCENTILE_STATS, FAIL), False,
               "SELECTOR:LIMIT[,LIMIT...] (e.g. 'list:p95=2000')")
METRIC = Grammar("[metrics] slo", (*PERCENTILE_STATS, "mean", "max"), True,
                 "OPERATION:STAT[@LEVEL]=MS (e.g. write:p95@32=250)")


@dataclass(frozen=True)
class LimitRule:
    selector: str
    stat: str
    """In its display spelling (``p99.9``)."""
    level: int | None = None
    limit: float | None = None
    """None: no limit (it lifts a broader rule's or a default)."""

    def __str__(self) -> str:
        at = f"@{self.level}" if self.level is not None else ""
        return f"{self.selector}:{self.stat}{at}={'' if self.limit is None else f'{self.limit:g}'}"


@dataclass
class Limits(Artifact):
    """The limits one test was judged by: its rules, and the load test's defaults (``p95_ms``,
    ``p99_ms``) and whole-test failure ratio (``max_fail_ratio``)."""

    setting: str = LOAD.key
    rules: list[LimitRule] = field(default_factory=list)
    defaults: dict[str, float] = field(default_factory=dict)
    """Percentile (display spelling) -> ms, for every endpoint unless a rule says otherwise."""
    max_fail_ratio: float | None = None

    def limits_for(self, test_name: str, endpoint_class: str) -> dict[str, float]:
        """One endpoint's limits (``fail`` included): the most specific rule wins per STAT."""
        merged: dict[str, float | None] = dict(self.defaults)
        for selector in ("*", endpoint_class, test_name):  # least to most specific
            for rule in self.rules:
                if rule.selector == selector:
                    merged[rule.stat] = rule.limit
        return {stat: limit for stat, limit in merged.items() if limit is not None}

    @property
    def selectors(self) -> set[str]:
        return {rule.selector for rule in self.rules}


def limit_value(raw: str, *, ratio: bool = False, legacy: bool = False) -> float | None:
    """One limit's value: None for empty, else a number > 0 (a ratio: at most 1). ``legacy``
    reads 0 as no limit, as results saved before this grammar meant it. Raises ValueError."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if value == 0 and not legacy:
        raise ValueError(NO_ZERO)
    if value == 0:
        return None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"limit {text!r} is not a number of {'' if ratio else 'ms '}> 0")
    if ratio and value > 1:
        raise ValueError(f"{text} must be a ratio above 0 and at most 1")
    return value


def limit_setting(high: float, *, ratio: bool = False) -> Callable[[str], float | None]:
    """The parser of a setting that is one limit (``p95_ms``): ``limit_value`` up to ``high``."""
    def parse(raw: str) -> float | None:
        value = limit_value(raw, ratio=ratio)
        if value is not None and value > high:
            raise ValueError(f"expected a limit up to {high:g}, or empty for no limit")
        return value
    parse.empty_is_value = True  # type: ignore[attr-defined]  # read by config.Knob
    return parse


def parse_rules(text: str, grammar: Grammar, *,
                check_selector: Callable[[str], str | None] | None = None,
                legacy: bool = False, error: type[Exception] = ValueError) -> list[LimitRule]:
    """The rules of ``text``; every mistake is one ``error`` line ``<key>: rule '<rule>': why``
    (settings pass ``ConfigError``). ``check_selector`` says why a selector is unknown."""
    rules: list[LimitRule] = []
    for raw in text.split(";"):
        rule = raw.strip()
        if not rule:
            continue
        selector, sep, pieces = rule.rpartition(":")
        selector = selector.strip()
        if not sep or not selector:
            raise error(f"{grammar.key}: rule {rule!r} is not {grammar.syntax}")
        why = check_selector(selector) if check_selector else None
        if why:
            raise error(f"{grammar.key}: rule {rule!r}: {why}")
        for piece in pieces.split(","):
            try:
                rules.append(_parse_piece(selector, piece.strip(), grammar, legacy))
            except ValueError as exc:
                raise error(f"{grammar.key}: rule {rule!r}: {exc}") from None
    return rules


def _parse_piece(selector: str, piece: str, grammar: Grammar, legacy: bool) -> LimitRule:
    match = _PIECE.match(piece)
    if not match:
        raise ValueError(f"{piece!r} is not STAT=VALUE ({grammar.syntax})")
    stat, level = match["stat"].lower(), match["level"]
    if stat not in grammar.stats:
        raise ValueError(f"{piece!r} names statistic {stat!r}; known: {', '.join(grammar.stats)}")
    if level is not None and not grammar.levels:
        raise ValueError(f"{piece!r}: a level (@) is not allowed here")
    if level is not None and not (level.isdigit() and int(level) >= 1):
        raise ValueError(f"level {level!r} is not a concurrency >= 1")
    limit = limit_value(match["value"], ratio=stat == FAIL, legacy=legacy)
    return LimitRule(selector, stat, int(level) if level is not None else None, limit)


def load_limits(text: str, *, p95_ms: float | None, p99_ms: float | None,
                max_fail_ratio: float | None, test_names: set[str] | None = None,
                legacy: bool = False, error: type[Exception] = ValueError) -> Limits:
    """A load test's limits. With ``test_names`` given, a selector that is neither a class, '*'
    nor a known name is refused."""
    def check(selector: str) -> str | None:
        if test_names is None or selector == "*" or selector in ENDPOINT_CLASSES \
                or selector in test_names:
            return None
        return (f"{selector!r} is neither an endpoint class ({', '.join(ENDPOINT_CLASSES)}), "
                f"'*' nor a catalogue test_name")

    for key, value in (("p95_ms", p95_ms), ("p99_ms", p99_ms), ("max_fail_ratio", max_fail_ratio)):
        if value == 0 and not (legacy and key == "max_fail_ratio"):
            raise error(f"[locust] {key}: {NO_ZERO}")
    defaults = {stat: value for stat, value in (("p95", p95_ms), ("p99", p99_ms))
                if value is not None}
    return Limits(setting=LOAD.key, defaults=defaults, max_fail_ratio=max_fail_ratio,
                  rules=parse_rules(text, LOAD, check_selector=check, legacy=legacy,
                                    error=error))


def metric_limits(text: str, *, operations: tuple[str, ...] | list[str] | None,
                  legacy: bool = False, error: type[Exception] = ValueError) -> Limits:
    """A metric test's limits; with ``operations`` given, another selector is refused."""
    def check(selector: str) -> str | None:
        if operations is None or selector in operations:
            return None
        return f"names operation {selector!r}; known: {', '.join(operations)}"

    return Limits(setting=METRIC.key, rules=parse_rules(text, METRIC, check_selector=check,
                                                        legacy=legacy, error=error))


def saved_limits(settings: dict[str, dict[str, str]], setting: str) -> Limits | None:
    """The limits of a run that saved no ``Limits`` (written before it existed), read leniently
    from its saved settings (0 = no limit, as it meant then); None when it saved none of them.
    A value no grammar ever accepted raises ValueError."""
    if setting == METRIC.key:
        metrics = settings.get("metrics")
        if metrics is None:
            return None
        return metric_limits(metrics.get("slo", ""), operations=None, legacy=True)
    locust = settings.get("locust")
    if not locust or "p95_ms" not in locust:
        return None

    def value(key: str, **kwargs: bool) -> float | None:
        try:
            return limit_value(locust.get(key, ""), legacy=True, **kwargs)
        except ValueError as exc:
            raise ValueError(f"[locust] {key}: {exc}") from None

    # max_fail_ratio = 0, and (as reports then read it) a missing one, allowed no failure at
    # all: a limit of 0, not "no limit"
    fail_text = locust.get("max_fail_ratio", "").strip()
    zero = not fail_text or fail_text.replace("0", "").replace(".", "") == ""
    max_fail = 0.0 if zero else value("max_fail_ratio", ratio=True)
    return load_limits(locust.get("slo", ""), p95_ms=value("p95_ms"), p99_ms=value("p99_ms"),
                       max_fail_ratio=max_fail, legacy=True)
