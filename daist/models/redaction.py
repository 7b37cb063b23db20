"""Keeping secrets out of what daist logs, prints and saves; both rules are declared here once.

- Credentials inside a URL (``scheme://user:password@host``) are replaced wherever a URL
  appears in text.
- A known secret value is replaced as a whole value, never as a fragment of other text, and a
  value shorter than ``MIN_SECRET_CHARS`` is not searched for at all: replacing every ``0`` of
  a log would tell its reader that the password is ``0``.
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

REDACTED = "<redacted>"
MIN_SECRET_CHARS = 4
"""Shorter secret values are never redacted: where they occur cannot be told from chance."""
ANYWHERE_CHARS = 8
"""Values this long are replaced even inside a word; shorter ones only as a whole token."""
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#\"<>\\]*@")
"""A scheme, then the user information up to the authority's last '@' (a quote or a space
ends a URL written into JSON or prose)."""
_WORD = re.compile(r"\w")


def redact_urls(text: str) -> str:
    """``http://user:pass@host/x`` -> ``http://<redacted>@host/x``, for every URL in ``text``."""
    return _URL_CREDENTIALS.sub(lambda match: match["scheme"] + REDACTED + "@", text)


def url_without_credentials(url: str) -> str:
    """``http://user:pass@host:8080/x`` -> ``http://host:8080/x`` (other URLs unchanged)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class Redactor:
    """``Redactor(secrets)(text)``: ``text`` with the secret values and URL credentials
    replaced by ``<redacted>``. Built once per set of secrets (a log filter calls it often)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        usable = sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(_whole_value, usable))) if usable else None

    def __call__(self, text: str) -> str:
        text = redact_urls(text)  # first: a password redacted alone would leave its user name
        return text if self._pattern is None else self._pattern.sub(REDACTED, text)


def _whole_value(secret: str) -> str:
    """The pattern of one secret: a short one must not touch a word character on a side where
    it starts or ends with one ('test' is not redacted out of 'test_locust')."""
    pattern = re.escape(secret)
    if len(secret) >= ANYWHERE_CHARS:
        return pattern
    left = r"(?<!\w)" if _WORD.match(secret[0]) else ""
    right = r"(?!\w)" if _WORD.match(secret[-1]) else ""
    return left + pattern + right


class Secret:
    """A value that must never be printed, logged or saved: ``str()``/``repr()`` give ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str = "") -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"
