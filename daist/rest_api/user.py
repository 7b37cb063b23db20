"""The Locust user: logs in once, sends the bearer token, picks catalogue tasks by weight and
fires them named by ``test_name``. ``DaistUser`` does it; ``build_user_class`` configures it from
a ``UserSpec`` (plain data, so remote workers can receive it from the master).

- A 401 (expired token) counts as a failure; the user then logs in again, at most once.
- A 2xx answer that is not the JSON Determined sends for that endpoint counts as a failure
  ``invalid response: ...`` (``answers``).
- Read/write mix: a task that needs an object the user has not created yet (``own_*``) runs
  the matching create call instead; every user deletes what it still owns when it stops.
- Open shape: ``Pacer`` hands out send slots at the target rate; the latency recorded in the
  HDR histogram starts at the slot's intended time (see ``recorder``), not at the send.
"""
from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from daist.engine.responses import release
from daist.engine.target import RefusedTarget, same_master
from daist.models.config import LocustSettings
from daist.rest_api.answers import FULL_CHECK_EVERY, AnswerCheck
from daist.rest_api.catalogue import CREATES, DELETES, by_name
from daist.rest_api.endpoints import EndpointTask

LOGIN_PATH = "/api/v1/auth/login"
LOGOUT_PATH = "/api/v1/auth/logout"
MAX_OWNED = 3
"""Objects of one kind a user keeps at once; past it a create turns into a delete."""
_LOCUST = LocustSettings()  # the [locust] defaults, declared there once


@dataclass
class UserSpec:
    host: str
    task_names: list[str]
    values: dict[str, Any]
    """Resource values for the path templates (the resolved profile)."""
    user_name: str
    user_class: str = _LOCUST.user_class
    wait_time: str = _LOCUST.wait_time
    request_timeout: float = _LOCUST.request_timeout
    rate: float = 0.0
    """Open shape: requests/s for this process (0: closed loop)."""
    own_prefix: str = "daist"
    check_every: int = FULL_CHECK_EVERY
    """Parse every N-th answer of an endpoint in full (the others: first byte); 0: no check
    at all (a benchmark's reference)."""
    password: str = field(default="", repr=False)

    def to_message(self) -> dict[str, Any]:
        """Everything but the password (workers read theirs from DET_PASSWORD)."""
        data = dataclasses.asdict(self)
        data.pop("password")
        return data


class Pacer:
    """Send slots at a constant rate shared by all users of this process: slot k is due at
    ``start + k / rate``. A late user takes the overdue slot at once (the backlog is sent)."""

    def __init__(self, rate: float, *, clock=time.time) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.start: float | None = None
        self.counter = itertools.count()

    def next_slot(self) -> float:
        if self.start is None:
            self.start = self.clock()
        return self.start + next(self.counter) * self.interval


def parse_wait_time(text: str) -> tuple[float, float]:
    low, _, high = text.partition("..")
    return float(low), float(high or low)


@dataclass
class TaskMix:
    """What every user of one spec shares, worked out once per process: the tasks and their
    cumulative weights, the create/delete calls of own objects, and the calls whose values are
    fixed for the run, rendered once (the hot path stays lean)."""

    tasks: list[EndpointTask]
    cumulative: list[float]
    creators: dict[str, EndpointTask]
    deleters: dict[str, EndpointTask]
    static: dict[str, Any]
    rendered: dict[str, tuple[str, Any]]
    owning: set[str]
    """Tasks that need (or make) an object of the user's own: they may be substituted."""
    pacer: Pacer | None
    total: float = 0.0
    """The sum of the weights (the last of ``cumulative``)."""
    only: EndpointTask | None = None
    """The task when there is one: no draw per request."""

    @classmethod
    def of(cls, spec: UserSpec) -> TaskMix:
        tasks = [by_name(name) for name in spec.task_names]
        creators = {resource: by_name(name) for name, (resource, _) in CREATES.items()}
        deleters = {resource: by_name(name) for name, resource in DELETES.items()}
        static = {**spec.values, "today": date.today().isoformat()}
        # The others need per-user or per-call values (own objects, a sequence number).
        rendered = {t.test_name: (t.url(static), t.json_body(static)) for t in tasks
                    if not set(t.resources) - set(static)}
        owning = {t.test_name for t in [*tasks, *creators.values(), *deleters.values()]
                  if set(t.resources) & set(creators) or t in creators.values()}
        cumulative = list(itertools.accumulate(t.weight for t in tasks))
        return cls(tasks=tasks, cumulative=cumulative, creators=creators, deleters=deleters,
                   static=static, rendered=rendered, owning=owning,
                   pacer=Pacer(spec.rate) if spec.rate > 0 else None, total=cumulative[-1],
                   only=tasks[0] if len(tasks) == 1 else None)


class DaistUser:
    """What a load-test user does; ``build_user_class`` joins it with a Locust transport
    (FastHttpUser or HttpUser) and configures it from a spec (class attributes ``spec``,
    ``mix`` and ``request_kwargs``)."""

    spec: UserSpec
    mix: TaskMix
    request_kwargs: dict[str, Any]
    """Per-request keywords of the transport (HttpUser takes the timeout per request)."""

    def on_start(self) -> None:
        spec = self.spec
        # Locust's spawn message may rewrite a user class's host; the password goes only
        # to the master this process was built for.
        if not same_master(self.client.base_url, spec.host):
            from locust.exception import StopUser
            self.environment.events.request.fire(
                request_type="POST", name="login", response_time=0, response_length=0,
                context={}, exception=RefusedTarget(
                    f"refused to log in to {self.client.base_url}: this process logs in "
                    f"only to {spec.host}"))
            raise StopUser()
        self.values = {**self.mix.static,
                       "own_prefix": f"{spec.own_prefix}-{random.getrandbits(32):08x}"}
        self.owned: dict[str, list[Any]] = {}
        self.seq = itertools.count(1)
        self.logged_in = False
        self.relogged = False
        self.check = AnswerCheck(every=spec.check_every) if spec.check_every else None
        # The transport's request with its keywords bound once: a call that spreads even an
        # empty ``**dict`` costs about half a microsecond more per request.
        self.send = functools.partial(self.client.request, **self.request_kwargs) \
            if self.request_kwargs else self.client.request
        self.report_request = self.environment.events.request.fire
        self.login()

    def login(self) -> bool:
        self.carry_token(None)  # a login never sends an expired token along
        body = {"username": self.spec.user_name, "password": self.spec.password}
        with self.send("POST", LOGIN_PATH, name="login", json=body,
                       catch_response=True) as response:
            token = _json(response).get("token") if response.status_code == 200 else None
            if not token:
                response.failure(f"login answered HTTP {response.status_code} without a token")
        release(response)
        if not token:
            return False
        self.carry_token(token)
        return True

    def carry_token(self, token: str | None) -> None:
        """The transport adds the bearer token to every request it sends (a session's own
        header: no headers dict to copy per request). FastHttpSession keeps it in
        ``auth_header``, a requests session among its default headers."""
        value = f"Bearer {token}" if token else None
        self.logged_in = value is not None
        if hasattr(self.client, "auth_header"):
            self.client.auth_header = value
        elif value is None:
            self.client.headers.pop("Authorization", None)
        else:
            self.client.headers["Authorization"] = value

    def pick(self) -> None:
        mix = self.mix
        chosen = mix.only or mix.tasks[bisect.bisect_right(mix.cumulative,
                                                           random.random() * mix.total)]
        if chosen.test_name in mix.owning:
            chosen = self.substitute(chosen)
        self.fire(chosen)

    def substitute(self, chosen: EndpointTask) -> EndpointTask:
        for resource, creator in self.mix.creators.items():
            held = len(self.owned.get(resource, ()))
            if resource in chosen.resources and not held:
                return creator
            if chosen is creator and held >= MAX_OWNED:
                return self.mix.deleters[resource]
        return chosen

    def fire(self, chosen: EndpointTask) -> None:
        name, mix = chosen.test_name, self.mix
        ready = mix.rendered.get(name)
        if ready is not None:
            url, body = ready
        else:
            values = {**self.values, "seq": next(self.seq),
                      **{r: held[-1] for r, held in self.owned.items() if held}}
            url, body = chosen.url(values), chosen.json_body(values)
        if mix.pacer is None:
            response = self.send(chosen.method, url, name=name, json=body, catch_response=True)
        else:
            intended = mix.pacer.next_slot()
            delay = intended - time.time()
            if delay > 0:
                time.sleep(delay)  # gevent-patched: yields to the other users
            response = self.send(chosen.method, url, name=name, json=body, catch_response=True,
                                 context={"intended": intended})
        status = response.status_code
        invalid = None
        if 200 <= status < 300:
            # Reported here, as Locust's response context would report it on leaving a ``with``
            # block (no status or transport error to judge on a 2xx): its __enter__, __exit__
            # and status check are a microsecond per request.
            meta = response.request_meta
            release(response)
            if self.check is not None:
                invalid = self.check(name, response.content or b"")
                if invalid:
                    from locust.exception import CatchResponseError  # as response.failure()
                    meta["exception"] = CatchResponseError(invalid)
            self.report_request(**meta)
        else:
            with response:  # Locust judges the status or the transport error itself
                pass
            release(response)
        if invalid:
            return
        if status == 401 and not self.relogged:
            self.relogged = True
            self.login()
        elif name in mix.owning:
            self.keep(name, status, response)

    def keep(self, name: str, status: int, response: Any) -> None:
        """Note the object a create call made, or that a delete call used up."""
        creates, deletes = CREATES.get(name), DELETES.get(name)
        if creates and 200 <= status < 300:
            resource, (outer, key) = creates
            created = (_json(response).get(outer) or {}).get(key)
            if created is not None:
                self.owned.setdefault(resource, []).append(created)
        elif deletes and (200 <= status < 300 or status == 404):
            self.owned[deletes].pop()

    def on_stop(self) -> None:
        for resource, held in self.owned.items():
            for _ in range(len(held)):  # one try each; the test's final clean-up does the rest
                self.fire(self.mix.deleters[resource])
            held.clear()
        if self.logged_in:
            self.send("POST", LOGOUT_PATH, name="logout")
            self.carry_token(None)
        _close_connections(self.client)


def build_user_class(spec: UserSpec) -> type:
    """The Locust user class ``DaistUser`` for ``spec`` (imports locust: call it in the load
    process only). Locust matches user classes by name between master and workers."""
    from locust import FastHttpUser, HttpUser, between, constant

    base = FastHttpUser if spec.user_class == "FastHttpUser" else HttpUser
    mix = TaskMix.of(spec)
    low, high = parse_wait_time(spec.wait_time)
    wait_time = constant(0) if mix.pacer or high == 0 else (
        constant(low) if low == high else between(low, high))
    return type("DaistUser", (DaistUser, base), {
        "__module__": __name__, "spec": spec, "mix": mix, "host": spec.host,
        "wait_time": wait_time, "tasks": [DaistUser.pick],
        "request_kwargs": {} if base is FastHttpUser else {"timeout": spec.request_timeout},
        "network_timeout": spec.request_timeout, "connection_timeout": spec.request_timeout})


def _close_connections(client: Any) -> None:
    """Close a stopping user's keep-alive connections (no ResourceWarning at exit): a
    FastHttpSession keeps them in its geventhttpclient agent, a requests session in itself."""
    agent = getattr(client, "client", client)
    close = getattr(agent, "close", None)
    if callable(close):
        close()


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except Exception:  # any undecodable body: treated as no body
        return {}
    return body if isinstance(body, dict) else {}
