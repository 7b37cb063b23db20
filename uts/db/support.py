"""What the results-database tests share: the PostgreSQL server from ``UTS_PG_*`` (set by
``.ci/pg_start``), a fresh schema per test (dropped afterwards, so runs can repeat against one
database), and a results directory written through the real models and manifest.

Without a reachable server the tests skip and say why once on stderr; under CI they fail,
because ``.ci/run`` starts one."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
from dataclasses import dataclass
from pathlib import Path

from daist.db.connection import DbTarget
from daist.framework import paths
from daist.models.base import TextDocument
from daist.models.redaction import Secret
from daist.models.locust import LocustStatsList, StepPoint
from daist.models.metric_latency import Hist, MetricLatencyOpHist, MetricPayloadOpHist
from daist.models.result import DeterminedVersion, Host, Result, TestRecord, Versions
from daist.models.timestamp import Timestamp
from uts.harness import PYTHON, clean_environment
from uts.rest_api.factories import make_entry, make_stats

PG_VARIABLES = ("UTS_PG_HOST", "UTS_PG_PORT", "UTS_PG_USER", "UTS_PG_PASSWORD", "UTS_PG_DB")
RO_TEST = "daist.rest_api.test_locust.TestRO.test"
METRICS_TEST = "daist.metrics.test_latency.Test.test"
PAYLOAD_TEST = "daist.metrics.test_latency.TestPayload.test"
TABLES = ("perf_test_runs", "perf_tests", "daist_runs", "daist_tests", "daist_loads",
          "daist_endpoints", "daist_load_steps", "daist_metric_sets", "daist_metric_latency")


@functools.lru_cache(maxsize=1)
def server() -> tuple[DbTarget | None, str]:
    """(target without a schema, "") or (None, why the tests cannot run)."""
    missing = [name for name in PG_VARIABLES if not os.environ.get(name)]
    if missing:
        return None, f"{', '.join(missing)} not set (eval \"$(.ci/pg_start)\" starts a server)"
    target = DbTarget(host=os.environ["UTS_PG_HOST"], port=int(os.environ["UTS_PG_PORT"]),
                      dbname=os.environ["UTS_PG_DB"], user=os.environ["UTS_PG_USER"],
                      # the statement timeout also covers waiting for the migration lock,
                      # which the parallel test workers take in turn on one server
                      timeout_s=60, password=Secret(os.environ["UTS_PG_PASSWORD"]),
                      password_source="UTS_PG_PASSWORD")
    import psycopg
    try:
        with psycopg.connect(host=target.host, port=target.port, dbname=target.dbname,
                             user=target.user, password=target.password.reveal(),
                             connect_timeout=5):
            pass
    except psycopg.Error as exc:
        return None, f"no PostgreSQL at {target.label}: {' '.join(str(exc).split())[:200]}"
    return target, ""


_warned: list[bool] = []


def require_server() -> DbTarget:
    target, reason = server()
    if target is not None:
        return target
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise AssertionError(f"the results-database tests must run in CI: {reason}")
    if not _warned:
        print(f"\nuts.db: skipping the PostgreSQL tests: {reason}", file=sys.stderr, flush=True)
        _warned.append(True)
    raise unittest.SkipTest(f"no PostgreSQL server: {reason}")


class DbTestCase(unittest.TestCase):
    """A test with its own schema: ``self.target`` points at it, ``self.sql`` queries it."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.server = require_server()

    def setUp(self) -> None:
        super().setUp()
        schema = f"uts_{os.getpid()}_{secrets.token_hex(4)}"
        self.target = dataclasses.replace(self.server, schema=schema)
        self.addCleanup(self._drop_schema)

    def _drop_schema(self) -> None:
        from psycopg import sql
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(self.target.schema)))

    def connect(self):
        from daist.db.connection import connect
        return connect(self.target)

    def sql(self, query: str, params=None) -> list[tuple]:
        with self.connect() as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def counts(self) -> dict[str, int]:
        """Rows per table of this test's schema."""
        return {t: self.sql(f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}

    def env(self, **extra: str) -> dict[str, str]:
        """The PERF_RESULT_DB_* variables of a daist subprocess writing to this schema."""
        t = self.target
        return {"PERF_RESULT_DB_HOST": t.host, "PERF_RESULT_DB_PORT": str(t.port),
                "PERF_RESULT_DB_NAME": t.dbname, "PERF_RESULT_DB_USER": t.user,
                "PERF_RESULT_DB_PASS": t.password.reveal(), "PERF_RESULT_DB_SCHEMA": t.schema,
                **extra}


class SavedRunCase(DbTestCase):
    """A ``DbTestCase`` with ``self.run``: a fresh saved results directory, removed afterwards."""

    def setUp(self) -> None:
        super().setUp()
        self.run = make_saved_run()
        self.addCleanup(remove, self.run)


def run_concurrently(work, *, times: int = 3) -> list[BaseException]:
    """Run ``work`` in ``times`` threads that start together; the exceptions they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(times, timeout=30)

    def thread_body():
        try:
            barrier.wait()
            work()
        except Exception as exc:  # returned: assertions belong to the main thread
            errors.append(exc)
    threads = [threading.Thread(target=thread_body) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


# -- a results directory -------------------------------------------------------------------
@dataclass
class SavedRun:
    result: Result
    stats: LocustStatsList
    op_hist: MetricLatencyOpHist
    payload: MetricPayloadOpHist

    @property
    def directory(self) -> Path:
        assert self.result.directory is not None
        return self.result.directory


def make_saved_run(*, seed: int = 7, test_name: str = "get experiments",
                   start: float = 1722278982.25, finished: bool = True) -> SavedRun:
    """A results directory as a daist run leaves it: a Locust test and two metric tests, with
    their renderings, a test without data artifacts, and the manifest."""
    rng = random.Random(seed)
    directory = Path(tempfile.mkdtemp(prefix="uts-db-results-"))
    result = Result(directory=directory, host_label="standin", system="standin",
                    command="daist.rest_api.test_locust.TestRO", host=Host("http://127.0.0.1:1"),
                    start_time=Timestamp(start),
                    version=Versions(daist="0.1.0", determined=DeterminedVersion("0.38.1", "0.38.1"),
                                     locust="2.37.14", python="3.11.7"),
                    metadata={"settings_digest": f"{seed:016x}", "git_commit": "1a2b3c4d5e6f7",
                              "git_branch": "main", "hostname": "uts"})
    stats = make_stats(make_entry(test_name, latencies=_latencies(rng, 120), failures=3),
                       make_entry("get trial", latencies=_latencies(rng, 40), method="GET"),
                       make_entry("post notes", latencies=_latencies(rng, 25), method="POST",
                                  endpoint_class="write"),
                       make_entry("get master", latencies=[]))
    stats.steps = [StepPoint(users=u, rps=10.0 * u, p95_ms=2.0 + u, p99_ms=3.0 + u,
                             fail_ratio=0.01 * u, num_requests=100 * u, knee=u == 4)
                   for u in (1, 2, 4)]
    op_hist = MetricLatencyOpHist(parameters={"metric_count": 8, "num_batches": 6})
    payload = MetricPayloadOpHist(parameters={"concurrency": 1, "num_batches": 4})
    for operation in ("enqueue", "write", "visible"):
        for level in (1, 2):
            op_hist.add(operation, level, Hist(_latencies(rng, 6 * level)))
        for count in (1, 256):
            payload.add(operation, count, Hist(_latencies(rng, 4)))
    op_hist.operations["read_trial"] = {1: Hist([])}       # a level that measured nothing
    result.add(stats, test_id=RO_TEST, tags=("TestRO.test",))
    result.add(rendering(), test_id=RO_TEST, tags=("TestRO.test",), classname="LocustStatsList")
    result.add(op_hist, test_id=METRICS_TEST, tags=("Test.test",))
    result.add(payload, test_id=PAYLOAD_TEST, tags=("TestPayload.test",))
    for test_id, duration in ((RO_TEST, 5.5), (METRICS_TEST, 7.25), (PAYLOAD_TEST, 3.0),
                              ("daist.test_target.Test.test_version", 0.1)):
        result.tests[test_id] = TestRecord(status="passed", duration_s=duration)
    if finished:
        result.end_time = Timestamp(start + 30.5)
        result.outcome.status = "passed"
    result.save_manifest()
    return SavedRun(result, stats, op_hist, payload)


def rendering() -> TextDocument:
    """A rendering that shares the classname of a data artifact (must be ignored)."""
    return TextDocument(text="a table for people, not for the database\n")


def reopen(run: SavedRun) -> Result:
    """The manifest as ``python -m daist.db upload`` reads it."""
    return Result.open(run.result.manifest_path)


def _latencies(rng: random.Random, n: int) -> list[float]:
    return [round(rng.lognormvariate(1.0, 0.6), 3) for _ in range(n)]


def daist_db(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``python -m daist.db ARGS`` as a user runs it (clean environment plus ``env``)."""
    return subprocess.run([PYTHON, "-m", "daist.db", *args], capture_output=True, text=True,
                          env=clean_environment(env), cwd=paths.ROOT, timeout=120)


def tree_digest(directory: Path) -> dict[str, str]:
    """File -> sha256 of everything under ``directory`` (to prove nothing changed)."""
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def remove(run: SavedRun) -> None:
    shutil.rmtree(run.directory, ignore_errors=True)
