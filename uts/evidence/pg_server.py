"""A throwaway PostgreSQL server for the evidence tests, as ``.ci/pg_start`` starts one (loopback,
a free port, a password-protected user and database), with ``pg_stat_statements`` preloaded.
Skips (saying why) where PostgreSQL is not installed."""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import unittest
from dataclasses import dataclass
from pathlib import Path

USER, DATABASE = "daist_evidence", "daist_evidence"


def _bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                   key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    return Path(found[-1]) if found and Path(found[-1], "initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PgServer:
    directory: Path
    port: int
    password: str
    bin: Path

    @property
    def dsn(self) -> str:
        """Without the password (it goes separately, as DET_DB_PASSWORD)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def superuser(self, sql: str, *, database: str = DATABASE) -> None:
        self._run("psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.directory), "-p",
                  str(self.port), "-U", "postgres", "-d", database, "-c", sql)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{tool} failed: {done.stderr.strip()[-800:]}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_pg_server() -> PgServer:
    """Raises ``unittest.SkipTest`` without PostgreSQL; the caller stops the server."""
    pg_bin = _bin()
    if pg_bin is None:
        raise unittest.SkipTest("PostgreSQL is not installed (apt-get install postgresql)")
    # /tmp itself: the postgres user must reach the directory (a test's TMPDIR may be private)
    directory = Path(tempfile.mkdtemp(prefix="daist-evidence-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    server = PgServer(directory, _free_port(), "ev-" + secrets.token_hex(12), pg_bin)
    try:
        server._run("initdb", "-D", str(directory / "data"), "-A", "trust", "-U", "postgres")
        server._run("pg_ctl", "-D", str(directory / "data"), "-l", str(directory / "server.log"),
                    "-w", "-t", "60", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {server.port} -k {directory} "
                    "-c shared_preload_libraries=pg_stat_statements "
                    "-c pg_stat_statements.track=top -c fsync=off", "start")
        server.superuser(f"CREATE USER {USER} PASSWORD '{server.password}'", database="postgres")
        server.superuser(f"CREATE DATABASE {DATABASE} OWNER {USER}", database="postgres")
        server.superuser("CREATE DATABASE no_extension", database="postgres")
        server.superuser("CREATE EXTENSION pg_stat_statements")
        server.superuser(f"GRANT pg_read_all_stats TO {USER}", database="postgres")
        (directory / "data" / "pg_hba.conf").write_text(
            "host all all 127.0.0.1/32 scram-sha-256\nlocal all postgres trust\n")
        server._run("pg_ctl", "-D", str(directory / "data"), "reload")
    except BaseException:
        server.stop()
        raise
    return server
