"""Upload a results directory's tests to the perf-results database: one transaction per test,
parameterized statements only, every connection closed.

Idempotent by identity: a run is (host label, start time, settings digest), an artifact is its
path within the run's test. An artifact already in the database is skipped, so uploading a
directory twice, or after the live run's upload at each ``test_stop`` (``LiveUploads``), adds
nothing; the run's end time and status are filled in when a finished manifest is uploaded.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from daist.db.connection import DatabaseError, DbTarget, connect, translating
from daist.db.rows import (LoadUpload, MetricUpload, RunRow, Skipped, TestBatch, collect_test,
                           uploadable_tests)
from daist.db.schema import ensure_schema
from daist.framework.errors import UploadError
from daist.framework.log import get_logger
from daist.models.result import Result

if TYPE_CHECKING:
    import psycopg

    from daist.framework.session import Session
    from daist.framework.settings import Settings

log = get_logger("db")
JSON_COLUMNS = frozenset({"metadata", "generator", "failures", "parameters"})
RUN_IDENTITY = ("host_label", "start_time", "settings_digest")


@dataclass
class UploadReport:
    target: str
    tests: int = 0
    """Tests that had something to upload."""
    artifacts: int = 0
    """Artifacts written now."""
    present: int = 0
    """Artifacts found already uploaded (and left alone)."""
    rows: int = 0
    """Rows inserted, all tables."""
    skipped: list[Skipped] = field(default_factory=list)

    def add(self, other: UploadReport) -> None:
        self.tests += other.tests
        self.artifacts += other.artifacts
        self.present += other.present
        self.rows += other.rows
        self.skipped += other.skipped

    @property
    def summary(self) -> str:
        return (f"{_count(self.tests, 'test')}, {_count(self.artifacts, 'artifact')} uploaded "
                f"({self.rows} rows), {self.present} already there, "
                f"{len(self.skipped)} unreadable")


def upload_result(target: DbTarget, result: Result, *,
                  test_ids: list[str] | None = None) -> UploadReport:
    """Upload the given tests of ``result`` (default: every test with data artifacts). Files
    that cannot be read are listed in ``skipped``; database failures raise ``DatabaseError``
    after rolling back only the test being written."""
    report = UploadReport(target=target.label)
    run = RunRow.of(result)
    batches = []
    for test_id in uploadable_tests(result) if test_ids is None else test_ids:
        batch = collect_test(result, test_id, run=run)
        report.skipped += batch.skipped
        if not batch.empty:
            batches.append(batch)
    if not batches:
        return report  # nothing to say to the database: do not even connect
    with connect(target) as conn:
        ensure_schema(conn, target)
        for batch in batches:
            with translating(target, doing=f"uploading {batch.test.test_id}"):
                with conn.transaction():
                    _write_batch(conn, run, batch, report=report)
            report.tests += 1
    return report


def update_run(target: DbTarget, result: Result) -> None:
    """Record a finished run's end time and status (its row must exist to change)."""
    with connect(target) as conn:
        ensure_schema(conn, target)
        with translating(target, doing="recording the end of the run"):
            with conn.transaction():
                _upsert_run(conn, RunRow.of(result))


class SessionUploader:
    """One live run's upload: each test's artifacts as soon as it ends (``events.test_stop``).
    A failure raises ``UploadError`` (one line, logged by the runner; the run then exits
    non-zero) and leaves every file in place for ``python -m daist.db upload`` later."""

    def __init__(self, settings: Settings) -> None:
        self.target = DbTarget.from_settings(settings.db)
        self.total = UploadReport(target=self.target.label)
        self.uploaded = False
        """Something reached the database: the end of the run is recorded there too."""

    def __call__(self, session: Session, test_id: str) -> None:
        result = session.result
        if result is None:
            return
        short = ".".join(test_id.split(".")[-2:])
        later = f"python -m daist.db upload {result.directory}"
        try:
            report = upload_result(self.target, result, test_ids=[test_id])
        except DatabaseError as exc:
            raise UploadError(f"results of {short} not uploaded: {exc}; they stay in the "
                              f"results directory ({later})") from None
        self.total.add(report)
        if report.artifacts or report.present:
            log.info("%s: uploaded to the perf-results database %s: %s", short, report.target,
                     report.summary)
            self.uploaded = True
        if report.skipped:
            files = "; ".join(str(s) for s in report.skipped)
            raise UploadError(f"results of {short} uploaded in part: unreadable files kept "
                              f"out: {files}")

    def finish(self, session: Session) -> str | None:
        """The run's end time and status, then a closing note; nothing when nothing was
        uploaded."""
        if not self.uploaded:
            return None
        if session.result is not None:
            update_run(self.target, session.result)
        return (f"Uploaded {_count(self.total.tests, 'test')} ({self.total.rows} rows) to the "
                f"perf-results database {self.target.label}")


class LiveUploads:
    """The upload of live runs, as listeners of the events (``test_stop``, ``run_stop``): one
    ``SessionUploader`` per run that has a database configured."""

    def __init__(self) -> None:
        self._runs: weakref.WeakKeyDictionary[Session, SessionUploader] = weakref.WeakKeyDictionary()

    def upload_test(self, session: Session, test_id: str) -> None:
        if not session.settings.db.PERF_RESULT_DB_HOST:
            return
        if session not in self._runs:
            self._runs[session] = SessionUploader(session.settings)
        self._runs[session](session, test_id)

    def finish(self, session: Session) -> str | None:
        uploader = self._runs.pop(session, None)
        return uploader.finish(session) if uploader is not None else None


# -- writing ---------------------------------------------------------------------------------
def _write_batch(conn: psycopg.Connection, run: RunRow, batch: TestBatch, *,
                 report: UploadReport) -> None:
    run_id = _upsert_run(conn, run)
    test = batch.test
    test_ref = conn.execute(
        "INSERT INTO daist_tests (run_id, test_id, status, duration_s, message) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (run_id, test_id) DO UPDATE SET "
        "status = EXCLUDED.status, duration_s = EXCLUDED.duration_s, message = EXCLUDED.message "
        "RETURNING id", (run_id, test.test_id, test.status, test.duration_s, test.message)
    ).fetchone()[0]
    for load in batch.loads:
        _write_load(conn, test_ref, load, report=report)
    for metric in batch.metrics:
        _write_metric(conn, test_ref, metric, report=report)


def _upsert_run(conn: psycopg.Connection, run: RunRow) -> int:
    """The run's id. A known run only learns its end (a finished manifest); otherwise stays."""
    from psycopg import sql

    values = {name: getattr(run, name) for name in run.__dataclass_fields__}
    query = _insert_sql("daist_runs", values) + sql.SQL(
        " ON CONFLICT ({}) DO UPDATE SET "
        "end_time = coalesce(EXCLUDED.end_time, daist_runs.end_time), "
        "status = CASE WHEN EXCLUDED.end_time IS NULL THEN daist_runs.status "
        "ELSE EXCLUDED.status END, "
        "interrupted = daist_runs.interrupted OR EXCLUDED.interrupted, "
        "metadata = EXCLUDED.metadata RETURNING id").format(_columns(RUN_IDENTITY))
    return conn.execute(query, _params(values)).fetchone()[0]


def _write_load(conn: psycopg.Connection, test_ref: int, load: LoadUpload, *,
                report: UploadReport) -> None:
    load_id = _insert_new(conn, "daist_loads",
                          {"test_ref": test_ref, "artifact": load.artifact, **load.values},
                          identity=("test_ref", "artifact"))
    if load_id is None:
        report.present += 1
        return
    rows = 1
    perf_run_id = None
    if any(e.legacy for e in load.endpoints):
        legacy = load.legacy_run
        perf_run_id = conn.execute(
            "INSERT INTO perf_test_runs (commit, branch, time) VALUES (%s, %s, %s) RETURNING id",
            (legacy.commit, legacy.branch, legacy.time.datetime)).fetchone()[0]
        conn.execute("UPDATE daist_loads SET perf_test_run_id = %s WHERE id = %s",
                     (perf_run_id, load_id))
        rows += 1
    for endpoint in load.endpoints:
        perf_test_id = None
        if endpoint.legacy is not None:
            t = endpoint.legacy
            perf_test_id = conn.execute(
                "INSERT INTO perf_tests (test_name, run_id, avg, min, med, max, p90, p95, "
                "passes, fails) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (t.test_name, perf_run_id, t.avg, t.min, t.med, t.max, t.p90, t.p95, t.passes,
                 t.fails)).fetchone()[0]
            rows += 1
        _insert(conn, "daist_endpoints",
                {"load_id": load_id, "perf_test_id": perf_test_id, **endpoint.values})
        rows += 1
    for step in load.steps:
        _insert(conn, "daist_load_steps", {"load_id": load_id, **step})
        rows += 1
    report.artifacts += 1
    report.rows += rows


def _write_metric(conn: psycopg.Connection, test_ref: int, metric: MetricUpload, *,
                  report: UploadReport) -> None:
    set_id = _insert_new(conn, "daist_metric_sets",
                         {"test_ref": test_ref, "artifact": metric.artifact, **metric.values},
                         identity=("test_ref", "artifact"))
    if set_id is None:
        report.present += 1
        return
    for row in metric.rows:
        _insert(conn, "daist_metric_latency", {"set_id": set_id, **row})
    report.artifacts += 1
    report.rows += 1 + len(metric.rows)


def _insert_new(conn: psycopg.Connection, table: str, values: dict[str, Any], *,
                identity: tuple[str, ...]) -> int | None:
    """Insert and return the id; None when a row with the same identity exists (a concurrent
    uploader waits for the other's commit, then sees it)."""
    from psycopg import sql

    query = _insert_sql(table, values) + sql.SQL(" ON CONFLICT ({}) DO NOTHING RETURNING id").format(
        _columns(identity))
    row = conn.execute(query, _params(values)).fetchone()
    return row[0] if row else None


def _insert(conn: psycopg.Connection, table: str, values: dict[str, Any]) -> None:
    conn.execute(_insert_sql(table, values), _params(values))


def _insert_sql(table: str, values: dict[str, Any]):
    from psycopg import sql

    return sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table), _columns(values), sql.SQL(", ").join(sql.Placeholder() * len(values)))


def _columns(names):
    from psycopg import sql

    return sql.SQL(", ").join(map(sql.Identifier, names))


def _params(values: dict[str, Any]) -> list[Any]:
    from psycopg.types.json import Jsonb

    return [Jsonb(v) if k in JSON_COLUMNS else v for k, v in values.items()]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
