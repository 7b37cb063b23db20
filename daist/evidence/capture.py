"""``WindowEvidence``: what the target says about itself around one measured window.

``before()`` runs just before the window opens, ``opened(window_s)`` when it opens (it
schedules the CPU profile for the window's middle), ``after()`` just after it closes; then
``results(entries)`` gives the artifacts to save. Reads happen outside the window (metrics,
SQL) or in a thread of their own (the profile), so the load is not slowed by them; every
failure is logged and said in the artifacts, never raised into the load test.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from daist.evidence.histograms import BucketHistogram, MetricsFormatError, parse_handling
from daist.evidence.pprof import ProfileFormatError, top_functions
from daist.evidence.server_timing import server_timing
from daist.evidence.sql_statements import (Snapshot, StatementsUnavailable, read_snapshot,
                                           statements_delta)
from daist.framework.errors import TargetError
from daist.framework.log import get_logger
from daist.framework.master_client import MasterClient
from daist.models.config import EvidenceSettings
from daist.models.evidence import ProfileTop, ServerTiming, SqlStatements
from daist.models.locust import EndpointStats

log = get_logger("evidence")
METRICS_PATH = "/debug/prom/metrics"
PROFILE_PATH = "/debug/pprof/profile"
MAX_METRICS_BYTES = 32 * 2**20
MAX_PROFILE_BYTES = 64 * 2**20
NOT_SERVED = (404,)


@dataclass
class EvidenceResults:
    """What one window left: each artifact, or None where that evidence was off or unusable."""

    server_timing: ServerTiming | None = None
    statements: SqlStatements | None = None
    profile_bytes: bytes | None = None
    profile_top: ProfileTop | None = None
    notes: list[str] = field(default_factory=list)


class WindowEvidence:
    def __init__(self, settings: EvidenceSettings, *, url: str, user: str, password: str) -> None:
        self.settings = settings
        self.url = url.rstrip("/")
        self._user, self._password = user, password
        self._client: MasterClient | None = None
        self._metrics_before: dict[str, BucketHistogram] | None = None
        self._metrics_after: dict[str, BucketHistogram] | None = None
        self._times: dict[str, float] = {}
        self._sql_before: Snapshot | None = None
        self._sql_after: Snapshot | None = None
        self._sql_problem = ""
        self._profile: threading.Thread | None = None
        self._profile_bytes: bytes | None = None
        self._profile_problem = ""
        self._stop = threading.Event()
        self.notes: list[str] = []

    @property
    def enabled(self) -> bool:
        s = self.settings
        return s.metrics or bool(s.profile_s) or bool(s.database)

    # -- the window ----------------------------------------------------------------------------
    def before(self) -> None:
        if self.settings.metrics:
            self._metrics_before = self._read_metrics()
            self._times["before"] = time.time()
        if self.settings.database:
            self._sql_before = self._read_sql()

    def opened(self, window_s: float) -> None:
        seconds = min(self.settings.profile_s, int(window_s))
        if not self.settings.profile_s:
            return
        if seconds < 1:
            self._profile_problem = (f"the window ({window_s:.0f} s) is too short for a "
                                     f"profile of at least 1 s")
            return
        delay = max(0.0, (window_s - seconds) / 2)  # centred on the window's middle
        self._profile = threading.Thread(target=self._take_profile, args=(delay, seconds),
                                         name="daist-profile", daemon=True)
        self._profile.start()

    def after(self) -> None:
        if self.settings.metrics and self._metrics_before is not None:
            self._metrics_after = self._read_metrics()
            self._times["after"] = time.time()
        if self.settings.database and self._sql_before is not None:
            self._sql_after = self._read_sql()

    def close(self, *, wait_s: float = 0.0) -> None:
        """Stop waiting for a profile (after ``wait_s``) and log out."""
        if self._profile is not None:
            self._profile.join(wait_s)
            self._stop.set()
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- results ---------------------------------------------------------------------------
    def window_handling(self) -> dict[str, BucketHistogram]:
        """Each gRPC method's handling-time histogram over the window (after minus before);
        empty when the master's metrics were off or unreadable."""
        if self._metrics_before is None or self._metrics_after is None:
            return {}
        return {method: histogram.minus(self._metrics_before.get(method))
                for method, histogram in self._metrics_after.items()}

    def results(self, entries: Iterable[EndpointStats]) -> EvidenceResults:
        out = EvidenceResults(notes=self.notes)
        if self._metrics_before is not None and self._metrics_after is not None:
            try:
                out.server_timing = server_timing(
                    entries, before=self._metrics_before, after=self._metrics_after,
                    source={"url": self.url + METRICS_PATH, "before": self._times["before"],
                            "after": self._times["after"]},
                    outside_limit_ms=self.settings.outside_limit_ms)
            except MetricsFormatError as exc:
                self._note(f"no server timing: {exc}")
        if self.settings.database:
            out.statements = self._statements()
        if self.settings.profile_s:
            out.profile_bytes, out.profile_top = self._profile_results()
        return out

    def _statements(self) -> SqlStatements:
        database = self.settings.database
        if self._sql_before is None or self._sql_after is None:
            return SqlStatements(database=database, missing=self._sql_problem
                                 or "the window did not complete")
        return statements_delta(self._sql_before, self._sql_after, database=database)

    def _profile_results(self) -> tuple[bytes | None, ProfileTop]:
        seconds = self.settings.profile_s
        if self._profile_bytes is None:
            return None, ProfileTop(seconds=seconds, problem=self._profile_problem
                                    or "the profile did not arrive before the window ended")
        try:
            top = top_functions(self._profile_bytes)
        except ProfileFormatError as exc:
            top = ProfileTop(problem=f"the profile is saved but could not be read: {exc}")
        top.seconds = seconds
        return self._profile_bytes, top

    # -- reading ----------------------------------------------------------------------------
    def _login(self) -> MasterClient:
        if self._client is None:
            client = MasterClient(self.url, timeout=30.0)
            client.login(self._user, self._password)
            self._client = client
        return self._client

    def _get(self, path: str, *, limit: int, timeout: float, params: Any = None) -> bytes | None:
        """The body, or None when the master does not serve ``path`` (said in a note)."""
        client = self._login()
        response = client.http.get(self.url + path, params=params, timeout=timeout, stream=True)
        with response:
            if response.status_code in NOT_SERVED:
                self._note(f"the master does not serve {path} (HTTP {response.status_code})")
                return None
            if response.status_code != 200:
                raise TargetError(f"{path} answered HTTP {response.status_code}")
            body = response.raw.read(limit + 1, decode_content=True)
        if len(body) > limit:
            raise TargetError(f"{path} answered more than {limit // 2**20} MiB")
        return body

    def _read_metrics(self) -> dict[str, BucketHistogram] | None:
        try:
            body = self._get(METRICS_PATH, limit=MAX_METRICS_BYTES, timeout=30.0)
            return None if body is None else parse_handling(body.decode("utf-8", "replace"))
        except (TargetError, MetricsFormatError, OSError) as exc:
            self._note(f"could not read the master's metrics: {exc}")
        except Exception as exc:  # requests' errors: the load test goes on without them
            self._note(f"could not read the master's metrics: {type(exc).__name__}: {exc}")
        return None

    def _read_sql(self) -> Snapshot | None:
        try:
            return read_snapshot(self.settings.database,
                                 password=self.settings.DET_DB_PASSWORD.reveal())
        except StatementsUnavailable as exc:
            self._sql_problem = str(exc)
            self._note(f"no SQL statements: {exc}")
        return None

    def _take_profile(self, delay: float, seconds: int) -> None:
        if self._stop.wait(delay):
            return
        try:
            self._profile_bytes = self._get(PROFILE_PATH, limit=MAX_PROFILE_BYTES,
                                            timeout=seconds + 30.0, params={"seconds": seconds})
            if self._profile_bytes is None:
                self._profile_problem = f"the master does not serve {PROFILE_PATH}"
        except Exception as exc:  # requests' errors included: said in the artifact
            self._profile_problem = f"could not fetch the profile: {type(exc).__name__}: {exc}"
            log.warning("%s", self._profile_problem)

    def _note(self, text: str) -> None:
        self.notes.append(text)
        log.warning("%s", text)
