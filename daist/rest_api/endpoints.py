"""``EndpointTask``: one REST endpoint as data (method, path template, query, body, the
resources it needs, its class and weight), and how it renders against a ``ResourceProfile``.

Templates use ``{resource}`` fields. A template string that is exactly one field keeps the
resource's type (``{"projectId": "{project_id}"}`` sends an int); any other string is formatted.
Resource names starting with ``own_`` are objects a user created itself (the read/write mix).
"""
from __future__ import annotations

import dataclasses
import functools
import re
import string
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlencode

from daist.evidence.server_timing import grpc_method_of
from daist.models.limits import ENDPOINT_CLASSES

_WHOLE_FIELD = re.compile(r"^\{([a-z_]+)\}$")


@dataclass(frozen=True)
class EndpointTask:
    test_name: str
    """The historical name (join key of the perf-results database); also Locust's ``name=``."""
    method: str
    path: str
    endpoint_class: str
    _: dataclasses.KW_ONLY
    params: tuple[tuple[str, Any], ...] = ()
    """Query parameters, in order (a tuple so the task stays hashable)."""
    body: Any = None
    needs: tuple[str, ...] = ()
    """Resources beyond those in the path and query (e.g. ``rbac``)."""
    weight: int = 1
    mixes: tuple[str, ...] = ("ro",)
    """Workloads that pick it: ``ro`` (read-only), ``rw`` (read/write), ``checkpoints``; empty
    for the session calls (login, logout) that users make outside the task mix."""
    note: str = ""
    """Why it looks the way it does (a POST that only reads, a path fixed for 0.38.1...)."""

    def __post_init__(self) -> None:
        if self.endpoint_class not in ENDPOINT_CLASSES:
            raise ValueError(f"{self.test_name}: endpoint class {self.endpoint_class!r} is not one "
                             f"of {', '.join(ENDPOINT_CLASSES)}")
        if self.weight < 0:
            raise ValueError(f"{self.test_name}: weight must not be negative")

    @functools.cached_property
    def resources(self) -> tuple[str, ...]:
        """Every resource the task needs: the explicit ones plus every template field."""
        found = list(self.needs)
        for text in _strings(self.path, self.params, self.body):
            found += [name for _, name, _, _ in string.Formatter().parse(text) if name]
        return tuple(dict.fromkeys(found))

    @functools.cached_property
    def grpc_method(self) -> str | None:
        """The master's gRPC method for this call (its protos' HTTP annotation), whose
        ``grpc_server_handling_seconds`` series is the master's own time; ``None`` for the few
        routes the master serves outside gRPC (file downloads)."""
        return grpc_method_of(self.method, self.path)

    def missing(self, available: Mapping[str, Any]) -> list[str]:
        """Resources this task needs that ``available`` lacks (None, False or absent)."""
        return [name for name in self.resources if available.get(name) in (None, False, "")]

    def url(self, values: Mapping[str, Any]) -> str:
        """The relative URL with the query string (lists repeat the key, booleans are lower-case
        ``true``/``false`` as the Determined SDK sends them)."""
        path = self.path.format_map(values)
        query = [(key, _query_value(render(value, values))) for key, value in self.params]
        return f"{path}?{urlencode(query, doseq=True)}" if query else path

    def json_body(self, values: Mapping[str, Any]) -> Any:
        return None if self.body is None else render(self.body, values)


def render(template: Any, values: Mapping[str, Any]) -> Any:
    """Fill ``{field}`` templates inside strings, lists and dicts."""
    if isinstance(template, str):
        whole = _WHOLE_FIELD.match(template)
        return values[whole[1]] if whole else template.format_map(values)
    if isinstance(template, dict):
        return {key: render(value, values) for key, value in template.items()}
    if isinstance(template, (list, tuple)):
        return [render(value, values) for value in template]
    return template


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_query_value(v) for v in value]
    return value


def _strings(*items: Any) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out += _strings(*item.keys(), *item.values())
        elif isinstance(item, (list, tuple)):
            out += _strings(*item)
    return out


@dataclass
class Mix:
    """The tasks one workload runs, and the ones it had to skip (with the missing resource)."""

    name: str
    tasks: list[EndpointTask] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    """test_name -> missing resources."""
