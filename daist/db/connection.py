"""Where the perf-results database is and how to talk to it: ``DbTarget`` (from the ``[db]``
settings plus the ``PGPASSWORD`` fallback), ``connect`` (a closed-on-exit psycopg 3 connection
in autocommit mode, so every transaction is an explicit ``conn.transaction()``), and the one
place that turns psycopg's errors into a one-sentence ``DatabaseError``.

psycopg is imported lazily: importing daist.db must stay cheap and side-effect free."""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Mapping

from daist.framework.errors import ConfigError, UploadError
from daist.models.config import DbSettings
from daist.models.redaction import Secret
from daist.models.redaction import Redactor

if TYPE_CHECKING:
    import psycopg

PASSWORD_FALLBACK_ENV = "PGPASSWORD"
APPLICATION_NAME = "daist"


class DatabaseError(UploadError):
    """The perf-results database refused, failed or could not be reached. An ``UploadError``,
    so a failed upload after a test ends the run with a non-zero status and keeps its files."""


@dataclass(frozen=True)
class DbTarget:
    host: str
    port: int = 5432
    dbname: str = "postgres"
    user: str = "postgres"
    schema: str = ""
    """Empty: the server's search path (public), where the historical tables live."""
    timeout_s: int = 30
    password: Secret = field(default_factory=Secret, repr=False)
    password_source: str = ""
    """The environment variable the password came from, for error messages."""

    @classmethod
    def from_settings(cls, db: DbSettings, *,
                      environ: Mapping[str, str] | None = None) -> DbTarget:
        if not db.PERF_RESULT_DB_HOST:
            raise ConfigError("PERF_RESULT_DB_HOST is not set: name the PostgreSQL server of "
                              "the perf-results database (PERF_RESULT_DB_PORT, _NAME and _USER "
                              "say the rest; the password comes from PERF_RESULT_DB_PASS or "
                              "PGPASSWORD)")
        environ = os.environ if environ is None else environ
        password, source = db.PERF_RESULT_DB_PASS, "PERF_RESULT_DB_PASS"
        if not password and environ.get(PASSWORD_FALLBACK_ENV):
            password, source = Secret(environ[PASSWORD_FALLBACK_ENV]), PASSWORD_FALLBACK_ENV
        return cls(host=db.PERF_RESULT_DB_HOST, port=db.PERF_RESULT_DB_PORT,
                   dbname=db.PERF_RESULT_DB_NAME, user=db.PERF_RESULT_DB_USER,
                   schema=db.PERF_RESULT_DB_SCHEMA, timeout_s=db.PERF_RESULT_DB_TIMEOUT,
                   password=password, password_source=source if password else "")

    @property
    def label(self) -> str:
        """``host:port/dbname`` (and the schema when one is set), for messages."""
        where = f"{self.host}:{self.port}/{self.dbname}"
        return f"{where} (schema {self.schema})" if self.schema else where


@contextlib.contextmanager
def connect(target: DbTarget) -> Iterator[psycopg.Connection]:
    """An open connection, closed on exit whatever happens. Connection failures raise
    ``DatabaseError``; errors inside the block are translated by ``translating``."""
    import psycopg
    from psycopg import sql

    params = {"host": target.host, "port": target.port, "dbname": target.dbname,
              "user": target.user, "connect_timeout": target.timeout_s,
              "application_name": APPLICATION_NAME, "autocommit": True,
              # libpq would also read ~/.pgpass: name a file that cannot exist (stat fails
              # quietly; /dev/null itself draws a warning) so the password comes from us only
              "passfile": os.path.join(os.devnull, "none"),
              "options": f"-c statement_timeout={target.timeout_s * 1000}"}
    if target.password:
        params["password"] = target.password.reveal()
    try:
        conn = psycopg.connect(**params)
    except psycopg.Error as exc:
        raise DatabaseError(_connect_message(exc, target)) from None
    try:
        if target.schema:
            with translating(target, doing="selecting the schema"):
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(target.schema)))
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def translating(target: DbTarget, *, doing: str) -> Iterator[None]:
    """Turn a psycopg error raised in the block into a one-line ``DatabaseError``."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        raise DatabaseError(f"{doing} failed in the perf-results database {target.label}: "
                            f"{_reason(exc, target)}") from None


def _reason(exc: Exception, target: DbTarget) -> str:
    diag = getattr(exc, "diag", None)
    text = (getattr(diag, "message_primary", None) or str(exc)).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    state = getattr(exc, "sqlstate", None)
    return _redact(f"{first} (SQLSTATE {state})" if state else first, target)


def _connect_message(exc: Exception, target: DbTarget) -> str:
    text = " ".join(str(exc).split())
    where = f"the perf-results database {target.label}"
    lowered = text.lower()
    if "password authentication failed" in lowered:
        return (f"{where} refused user {target.user!r}: wrong password "
                f"(from {target.password_source or 'nowhere'})")
    if "no password supplied" in lowered or "password is required" in lowered:
        return (f"{where} wants a password for user {target.user!r}: set PERF_RESULT_DB_PASS "
                f"(or PGPASSWORD)")
    if f'database "{target.dbname}" does not exist'.lower() in lowered:
        return f"{where}: database {target.dbname!r} does not exist (PERF_RESULT_DB_NAME)"
    if f'role "{target.user}" does not exist'.lower() in lowered:
        return f"{where}: user {target.user!r} does not exist (PERF_RESULT_DB_USER)"
    if "timeout expired" in lowered:
        return (f"cannot reach {where}: no answer within {target.timeout_s} s "
                "(PERF_RESULT_DB_TIMEOUT)")
    for needle, reason in (("connection refused", "connection refused"),
                           ("could not translate host name", "unknown host name"),
                           ("name or service not known", "unknown host name"),
                           ("no route to host", "no route to host"),
                           ("network is unreachable", "network unreachable")):
        if needle in lowered:
            return f"cannot reach {where}: {reason}"
    return _redact(f"cannot connect to {where}: {_last_clause(text)}", target)


def _last_clause(text: str) -> str:
    """libpq prefixes its reason with 'connection to server at ... failed:'."""
    return text.rsplit("failed:", 1)[-1].strip() or text


def _redact(text: str, target: DbTarget) -> str:
    return Redactor([target.password.reveal()])(text)
