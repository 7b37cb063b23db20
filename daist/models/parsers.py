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


DEFAULT_PORTS = {"http": 80, "https": 443}
DET_DEFAULT_PORT = 8080


def master_url(raw: str) -> str:
    """What the ``det`` CLI accepts, in its canonical form: no scheme means http on port 8080
    (``master`` -> ``http://master:8080``), a scheme without a port its usual one, no trailing
    '/'. Credentials are dropped: daist logs in with DET_USER/DET_PASSWORD, and a
    ``user:password@`` in the URL would otherwise travel into results and logs."""
    value = raw.strip()
    if not value:
        return ""
    default_port = DET_DEFAULT_PORT
    if "://" in value:
        scheme = value.split("://", 1)[0].lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError("expected an http:// or https:// URL, or HOST[:PORT]")
        default_port = DEFAULT_PORTS[scheme]
    else:
        value = f"http://{value}"
    parts = urlsplit(value)
    if not parts.hostname:
        raise ValueError("expected a master address with a host, e.g. master:8080")
    if parts.query or parts.fragment:
        raise ValueError("expected a master URL without a query or fragment")
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError("expected a numeric port from 1 to 65535, e.g. master:8080") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme.lower()}://{host}:{port}{parts.path.rstrip('/')}"


def host_port(raw: str) -> str:
    """``HOST:PORT`` to listen on; port 0 picks any free port."""
    value = raw.strip()
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError("expected HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:0")
    return value


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def seconds(raw: str) -> float:
    """A duration as Locust's ``-t`` takes it: ``30`` (seconds), ``30s``, ``5m``, ``1h30m``."""
    value = raw.strip().lower().replace(" ", "")
    try:
        return float(value)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(value)
    units = [unit for _, unit in parts]
    if (not parts or "".join(n + u for n, u in parts) != value
            or units != sorted(set(units), key="hms".index)):
        raise ValueError("expected a duration such as 30, 30s, 5m or 1h30m")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def duration(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = seconds(raw)
        except ValueError:
            raise ValueError(f"expected a duration from {low:g} s to {high:g} s, such as 30, "
                             "30s, 5m or 1h30m") from None
        if not low <= value <= high:  # also rejects nan and inf
            raise ValueError(f"expected a duration from {low:g} s to {high:g} s, such as 30, "
                             "30s, 5m or 1h30m")
        return value
    return parse


def whole_seconds(low: int, high: int) -> Callable[[str], int]:
    """A duration that must be whole seconds (an integer setting such as a database timeout)."""
    within = duration(low, high)

    def parse(raw: str) -> int:
        value = within(raw)
        if not value.is_integer():
            raise ValueError(f"expected whole seconds from {low} to {high}, such as 30 or 1m")
        return int(value)
    return parse


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


def postgres_dsn(raw: str) -> str:
    """Empty (off), or a PostgreSQL DSN (``postgresql://user@host:5432/db`` or ``host=... dbname=...``)
    without a password: the password comes from a secret environment variable only."""
    text = raw.strip()
    if not text:
        return ""
    from psycopg.conninfo import conninfo_to_dict  # psycopg checks the DSN grammar
    try:
        parts = conninfo_to_dict(text)
    except Exception:
        raise ValueError("expected a PostgreSQL DSN, e.g. postgresql://determined@db:5432/determined") from None
    if parts.get("password"):
        raise ValueError("a DSN may not carry a password (set DET_DB_PASSWORD instead)")
    return text
