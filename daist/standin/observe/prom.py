"""The master's Prometheus metrics (``/debug/prom/metrics``), with its names, labels and buckets.

Determined 0.38.1 registers two instrumentations (``master/internal/core.go``,
``master/internal/grpcutil/api.go``):

* echo-contrib 0.11's middleware, subsystem ``echo``: ``echo_requests_total{code, method,
  host, url}`` and three histograms ``{code, method, url}`` (duration, request and response
  size), all with client_golang's default buckets. ``url`` is the echo route pattern, and every
  REST call goes through one ``/api/v1/*`` route, so that is one series for all of them;
  outside /api/v1, an answer of 400 or more is counted under ``/**``.
* go-grpc-prometheus 1.2 on the gRPC server, with the handling-time histogram on:
  ``grpc_server_{started,handled,msg_received,msg_sent}_total`` and
  ``grpc_server_handling_seconds{grpc_type, grpc_service, grpc_method}`` (default buckets), the
  only per-endpoint server time. Its interceptor runs after authentication, so a request
  refused for a missing or bad token never reaches it (no gRPC sample here either).

The stand-in times a request from the first middleware on, so injected latency (added before
the handler runs, where the master's own slowness would be) shows in both histograms.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

import prometheus_client
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector

from daist.standin.common.grpc_methods import GRPC_SERVICE, GrpcMethod, GrpcTable

DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""client_golang's ``prometheus.DefBuckets``: what both instrumentations of the master use."""
API_ROUTE = "/api/v1/*"
"""The one echo route that carries every REST call to grpc-gateway."""
OTHER_ERRORS = "/**"
GRPC_CODE_NAMES = ("OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
                   "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
                   "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal",
                   "Unavailable", "DataLoss", "Unauthenticated")
"""``grpc_code`` label values by code number (Go's ``codes.Code.String()``)."""
_UNAUTHENTICATED = 16
CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST
_MAX_CACHED = 4096


class ServerMetrics:
    """One stand-in's metrics, in a registry of its own (two masters in a process share none)."""

    def __init__(self, grpc: GrpcTable | None) -> None:
        # Go's client writes no ``*_created`` series; the Python client does unless told not
        # to (a process-wide switch; nothing else in the stand-in's process exposes metrics)
        prometheus_client.disable_created_metrics()
        self.grpc = grpc
        self._routes: dict[tuple, _RouteFacts] = {}
        self._echo: dict[tuple[str, ...], tuple] = {}
        self._grpc: dict[str, tuple] = {}
        self._handled_by: dict[tuple[str, int], Counter] = {}
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)  # process_*: the Go client registers these too
        reg, echo = self.registry, {"subsystem": "echo"}
        self._requests = Counter("requests_total", "HTTP requests by status, method, host and "
                                 "route", ["code", "method", "host", "url"], registry=reg, **echo)
        http_labels = ["code", "method", "url"]
        self._duration = Histogram("request_duration_seconds", "HTTP request time in seconds",
                                   http_labels, buckets=DEFAULT_BUCKETS, registry=reg, **echo)
        self._request_size = Histogram("request_size_bytes", "HTTP request sizes in bytes",
                                       http_labels, buckets=DEFAULT_BUCKETS, registry=reg, **echo)
        self._response_size = Histogram("response_size_bytes", "HTTP response sizes in bytes",
                                        http_labels, buckets=DEFAULT_BUCKETS, registry=reg, **echo)
        grpc_labels = ["grpc_type", "grpc_service", "grpc_method"]
        self._started = Counter("grpc_server_started_total", "RPCs started on the server",
                                grpc_labels, registry=reg)
        self._handled = Counter("grpc_server_handled_total", "RPCs completed on the server, "
                                "by gRPC code", [*grpc_labels, "grpc_code"], registry=reg)
        self._received = Counter("grpc_server_msg_received_total", "RPC messages received",
                                 grpc_labels, registry=reg)
        self._sent = Counter("grpc_server_msg_sent_total", "RPC messages sent", grpc_labels,
                             registry=reg)
        self._handling = Histogram("grpc_server_handling_seconds", "Time the server took to "
                                   "handle an RPC, in seconds", grpc_labels,
                                   buckets=DEFAULT_BUCKETS, registry=reg)

    def exposition(self) -> bytes:
        return prometheus_client.generate_latest(self.registry)

    def observe(self, request: web.Request, response: web.StreamResponse, seconds: float) -> None:
        status = response.status
        route = self._route(request)
        url = API_ROUTE if route.api else (OTHER_ERRORS if status >= 400 else route.echo_url)
        requests, duration, request_size, response_size = self._echo_children(
            str(status), request.method, request.host, url)
        requests.inc()
        duration.observe(seconds)
        request_size.observe(request.content_length or 0)
        response_size.observe(_response_bytes(response))
        grpc_code = _grpc_code(response)
        if route.rpc is None or grpc_code == _UNAUTHENTICATED:
            return
        started, received, sent, handling = self._grpc_children(route.rpc)
        started.inc()
        received.inc()
        if grpc_code == 0:
            sent.inc()
        handled = self._handled_by.get((route.rpc.name, grpc_code))
        if handled is None:
            handled = self._handled_by[(route.rpc.name, grpc_code)] = self._handled.labels(
                route.rpc.grpc_type, GRPC_SERVICE, route.rpc.name, _code_name(grpc_code))
        handled.inc()
        handling.observe(seconds)

    # label lookups cost more than the observations: each route and label set is resolved once
    def _route(self, request: web.Request) -> _RouteFacts:
        route = request.match_info.route
        key = (request.method, route)
        found = self._routes.get(key)
        if found is None:
            api = request.path.startswith("/api/v1/")
            rpc = self.grpc.lookup(request.method, request.path) if self.grpc and api else None
            found = _RouteFacts(api=api, rpc=rpc, echo_url=API_ROUTE if api else _echo_url(request))
            if route.resource is not None:  # a matched route (not a 404): finitely many
                self._routes[key] = found
        return found

    def _echo_children(self, *labels: str) -> tuple:
        found = self._echo.get(labels)
        if found is None:
            code, method, host, url = labels
            found = (self._requests.labels(code, method, host, url),
                     *(h.labels(code, method, url) for h in (self._duration, self._request_size,
                                                             self._response_size)))
            if len(self._echo) < _MAX_CACHED:  # hosts come from clients
                self._echo[labels] = found
        return found

    def _grpc_children(self, rpc: GrpcMethod) -> tuple:
        found = self._grpc.get(rpc.name)
        if found is None:
            labels = (rpc.grpc_type, GRPC_SERVICE, rpc.name)
            found = self._grpc[rpc.name] = tuple(
                m.labels(*labels) for m in (self._started, self._received, self._sent,
                                            self._handling))
        return found


@dataclass(frozen=True)
class _RouteFacts:
    api: bool
    rpc: GrpcMethod | None
    echo_url: str


def _echo_url(request: web.Request) -> str:
    """The echo route pattern of a request outside /api/v1 that succeeded."""
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else request.path
    # echo writes a path parameter as ``:name``, aiohttp as ``{name}``
    return "/".join(":" + part[1:-1] if part.startswith("{") else part
                    for part in canonical.split("/"))


def _response_bytes(response: web.StreamResponse) -> int:
    body = getattr(response, "body", None)  # a Response is written after the middlewares
    return len(body) if isinstance(body, (bytes, bytearray)) else response.body_length


def _grpc_code(response: web.StreamResponse) -> int:
    """The gRPC code the master would have answered (the error JSON carries it)."""
    if response.status < 400:
        return 0
    body = getattr(response, "body", None)
    try:
        code = json.loads(body)["code"] if isinstance(body, (bytes, bytearray)) else None
    except (ValueError, KeyError, TypeError):
        code = None
    return code if isinstance(code, int) and 0 <= code < len(GRPC_CODE_NAMES) else 2


def _code_name(code: int) -> str:
    return GRPC_CODE_NAMES[code]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def metrics_middleware(metrics: ServerMetrics) -> object:
    """The outermost layer: times every request (faults, auth and handler) and records it."""
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        start = time.perf_counter()
        response = await handler(request)  # a dropped or hung request is never recorded
        metrics.observe(request, response, time.perf_counter() - start)
        return response

    return middleware
