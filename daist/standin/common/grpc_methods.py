"""Which gRPC method of ``determined.api.v1.Determined`` the master runs for a REST call.

The master serves /api/v1 through grpc-gateway: each REST path is a method's HTTP annotation in
the protos. The ``determined`` 0.38.1 SDK's generated bindings carry exactly those annotations
(one function per method, ``<verb>_<Method>`` with its HTTP method and path), so the table is
read from the installed bindings' text once (a regex scan, 0.1 s; importing or parsing them as
Python takes seconds) instead of being typed out a second time. Stdlib only: daist's evidence
reader uses the same table to name the series of a catalogue endpoint.
"""
from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

GRPC_SERVICE = "determined.api.v1.Determined"
UNARY, SERVER_STREAM = "unary", "server_stream"
"""go-grpc-prometheus's ``grpc_type`` label values for the two kinds the master has."""

_BINDING = re.compile(
    r'^def (?:get|post|put|patch|delete)_(?P<name>\w+)\((?P<body>.*?)^(?=def |class |\Z)',
    re.S | re.M)
_REQUEST = re.compile(r'_do_request\(\s*method="(?P<verb>[A-Z]+)",\s*path=f?"(?P<path>[^"]+)"')
_VARIABLE = re.compile(r"\{[^/}]+\}")


class GrpcTableError(Exception):
    """The bindings could not be found or read."""


@dataclass(frozen=True)
class GrpcMethod:
    name: str
    """The RPC name, as the ``grpc_method`` label has it (``GetExperiments``)."""
    verb: str
    path: str
    """The annotation's path template (``/api/v1/experiments/{experimentId}``)."""
    grpc_type: str

    @property
    def literal_segments(self) -> int:
        return sum(1 for part in self.path.split("/") if not _VARIABLE.fullmatch(part))


@dataclass(frozen=True)
class GrpcTable:
    methods: tuple[GrpcMethod, ...]

    @functools.cached_property
    def _compiled(self) -> dict[str, list[tuple[re.Pattern[str], GrpcMethod]]]:
        by_verb: dict[str, list[tuple[re.Pattern[str], GrpcMethod]]] = {}
        # a path with more fixed segments wins (GET /users/setting is GetUserSetting, not
        # GetUser with userId "setting"), as the master routes it
        for method in sorted(self.methods, key=lambda m: -m.literal_segments):
            segments = ("[^/]+" if _VARIABLE.fullmatch(part) else re.escape(part)
                        for part in method.path.split("/"))
            pattern = re.compile("^" + "/".join(segments) + "/?$")
            by_verb.setdefault(method.verb, []).append((pattern, method))
        return by_verb

    def lookup(self, verb: str, path: str) -> GrpcMethod | None:
        """The method a concrete request (or a template with ``{...}`` segments) reaches."""
        concrete = _VARIABLE.sub("x", path.split("?", 1)[0])
        for pattern, method in self._compiled.get(verb.upper(), ()):
            if pattern.match(concrete):
                return method
        return None


def parse_bindings(text: str) -> GrpcTable:
    methods = []
    for match in _BINDING.finditer(text):
        request = _REQUEST.search(match["body"])
        if request is None:
            continue
        kind = SERVER_STREAM if "stream=True" in match["body"] else UNARY
        methods.append(GrpcMethod(match["name"], request["verb"], request["path"], kind))
    if not methods:
        raise GrpcTableError("the determined bindings name no REST method")
    return GrpcTable(tuple(methods))


@functools.lru_cache(maxsize=1)
def grpc_table() -> GrpcTable:
    """The table of the installed ``determined`` SDK (read once per process)."""
    spec = importlib.util.find_spec("determined")
    if spec is None or not spec.submodule_search_locations:
        raise GrpcTableError("the determined SDK is not installed: no REST -> gRPC table")
    path = Path(list(spec.submodule_search_locations)[0]) / "common" / "api" / "bindings.py"
    try:
        return parse_bindings(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GrpcTableError(f"cannot read {path}: {exc.strerror}") from None
