"""Setting parsers: each turns the text of one setting into its value or raises ``ValueError``
with what was expected (the loader adds which key and which source)."""
from __future__ import annotations

import logging
import re
from typing import Callable
from urllib.parse import urlsplit


def text(raw: str) -> str:
    return raw.strip()


def nonempty(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("expected a non-empty value")
    return value


def secret(raw: str):
    from daist.models.config import Secret
    return Secret(raw)


def label_or_empty(raw: str) -> str:
    value = raw.strip()
    if value and not re.fullmatch(r"[A-Za-z0-9_.+=,]+", value):
        raise ValueError("expected a label of letters, digits and _ . + = , only")
    return value


def master_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected a URL with scheme and host, e.g. http://master:8080")
    try:
        parts.port
    except ValueError:
        raise ValueError("expected a URL with a numeric port, e.g. http://master:8080") from None
    return value


def log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("expected a log level: DEBUG, INFO, WARNING, ERROR or CRITICAL")
    assert isinstance(logging.getLevelName(value), int)
    return value


def boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def int_range(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"expected an integer from {low} to {high}") from None
        if not low <= value <= high:
            raise ValueError(f"expected an integer from {low} to {high}")
        return value
    return parse


def zero_or_int_range(low: int, high: int) -> Callable[[str], int]:
    """0 (an "off"/"empty" value) or an integer from ``low`` to ``high``."""
    message = f"expected 0 or an integer from {low} to {high}"

    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(message) from None
        if value != 0 and not low <= value <= high:
            raise ValueError(message)
        return value
    return parse


def float_range(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"expected a number from {low:g} to {high:g}") from None
        if not low <= value <= high:  # also rejects nan
            raise ValueError(f"expected a number from {low:g} to {high:g}")
        return value
    return parse


def int_list(low: int, high: int) -> Callable[[str], list[int]]:
    item = int_range(low, high)

    def parse(raw: str) -> list[int]:
        pieces = [piece for piece in re.split(r"[,\s]+", raw.strip()) if piece]
        if not pieces:
            raise ValueError(f"expected a comma-separated list of integers from {low} to {high}")
        try:
            return [item(piece) for piece in pieces]
        except ValueError:
            raise ValueError(f"expected a comma-separated list of integers from {low} to {high}") from None
    return parse


def choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        for option in options:
            if value.lower() == option.lower():
                return option
        raise ValueError("expected one of: " + ", ".join(options))
    return parse


def wait_time(raw: str) -> str:
    value = raw.strip()
    number = r"\d+(?:\.\d+)?"
    match = re.fullmatch(rf"({number})(?:\s*\.\.\s*({number}))?", value)
    if not match or (match[2] is not None and float(match[2]) < float(match[1])):
        raise ValueError("expected seconds ('0', '0.5') or a range 'low..high' ('1..3')")
    return value
