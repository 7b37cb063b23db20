"""A small, strict REST client for the master, used by the session (probe, credential check)
and by resource discovery. Transport errors become one-sentence ``TargetError``s."""
from __future__ import annotations

import socket
from typing import Any, Iterator
from urllib.parse import urlsplit

import requests

from daist.framework.errors import TargetError


def describe_connection_error(url: str, exc: Exception) -> str:
    """Turn requests' nested exception text into 'connection refused' / 'does not resolve'."""
    host = urlsplit(url).hostname or url
    text = str(exc)
    cause = exc
    while cause.__cause__ or cause.__context__:
        cause = cause.__cause__ or cause.__context__
        if isinstance(cause, socket.gaierror) or "Name or service not known" in str(cause):
            return f"host name {host!r} does not resolve"
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text \
            or "Temporary failure in name resolution" in text or "NameResolutionError" in text:
        return f"host name {host!r} does not resolve"
    if isinstance(exc, requests.Timeout):
        return "no answer before the timeout"
    return f"{type(exc).__name__}"


MAX_PAGES = 20
"""Pages ``pages`` reads of one list by default: a bound, as a master may page forever."""


class MasterClient:
    """``with MasterClient(url) as api: api.login(user, pw); api.get('/api/v1/me')``; logs out on
    exit when it logged in."""

    def __init__(self, url: str, *, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.token: str | None = None

    def __enter__(self) -> MasterClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None,
                ok: tuple[int, ...] = (200,)) -> requests.Response:
        try:
            response = self.http.request(method, self.url + path, params=params, json=json,
                                         timeout=self.timeout)
        except requests.RequestException as exc:
            raise TargetError(f"cannot reach the master at {self.url}: "
                              f"{describe_connection_error(self.url, exc)}") from None
        if response.status_code not in ok:
            raise TargetError(f"{method} {path} on {self.url} answered HTTP "
                              f"{response.status_code}: {_error_text(response)}")
        return response

    def get(self, path: str, **params: Any) -> Any:
        return _json(self.request("GET", path, params=params or None), path)

    def post(self, path: str, body: Any = None) -> Any:
        return _json(self.request("POST", path, json=body), path)

    def login(self, username: str, password: str) -> dict[str, Any]:
        response = self.request("POST", "/api/v1/auth/login",
                                json={"username": username, "password": password},
                                ok=(200, 401, 403))
        if response.status_code != 200:
            raise TargetError(f"the master at {self.url} refused the login of user "
                              f"{username!r} (HTTP {response.status_code}): check DET_USER and "
                              f"DET_PASSWORD")
        body = _json(response, "/api/v1/auth/login")
        self.token = body.get("token")
        if not self.token:
            raise TargetError(f"the master at {self.url} answered the login without a token")
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        return body

    def logout(self) -> None:
        if self.token:
            try:
                self.request("POST", "/api/v1/auth/logout", ok=(200, 401))
            finally:
                self.token = None
                self.http.headers.pop("Authorization", None)

    def close(self) -> None:
        try:
            self.logout()
        except TargetError:
            pass  # the token dies with the master's session store anyway
        self.http.close()


def pages(api: Any, path: str, key: str, *, page: int = 100, max_pages: int = MAX_PAGES,
          **params: Any) -> Iterator[dict[str, Any]]:
    """The items (under ``key``) of a list the master pages with ``offset``/``limit``, read with
    ``api.get`` (a ``MasterClient``), at most ``max_pages`` pages: on to the answer's
    ``pagination.endIndex`` until its ``total``; an answer without them is the last page."""
    offset = 0
    for _ in range(max_pages):
        body = api.get(path, **params, offset=offset, limit=page)
        items = body.get(key) or []
        yield from items
        pagination = body.get("pagination") or {}
        end, total = _int(pagination.get("endIndex")), _int(pagination.get("total"))
        if not items or end is None or total is None or end >= total or end <= offset:
            return
        offset = end


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _json(response: requests.Response, path: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise TargetError(f"{path} answered something that is not JSON: "
                          f"{response.text[:80]!r}") from None


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:120].strip() or response.reason
    if isinstance(body, dict):
        error = body.get("error")
        return str(body.get("message") or (error.get("message") if isinstance(error, dict) else error)
                   or body)[:200]
    return str(body)[:200]
