"""pg_stat_statements against a real PostgreSQL (started by the test with the extension
preloaded): a workload of known statements shows with its exact call counts; a database
without the extension says so."""
from __future__ import annotations

import unittest

import psycopg

from daist.evidence.sql_statements import (MARKER, StatementsUnavailable, read_snapshot,
                                           statements_delta)
from daist.models.evidence import SqlStatements
from uts.evidence.pg_server import PgServer, start_pg_server
from uts.harness import remove_results
from uts.rest_api.loadruns import case_id


class TestSqlStatements(unittest.TestCase):
    server: PgServer

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = start_pg_server()
        cls.addClassCleanup(cls.server.stop)
        with cls.connect() as connection:
            connection.execute("CREATE TABLE runs (id int PRIMARY KEY, state text)")

    @classmethod
    def connect(cls) -> psycopg.Connection:
        return psycopg.connect(cls.server.dsn, password=cls.server.password, autocommit=True)

    def snapshot(self):
        return read_snapshot(self.server.dsn, password=self.server.password)

    def test_the_window_holds_exactly_the_statements_run_in_it(self) -> None:
        with self.connect() as connection:
            connection.execute("SELECT count(*) FROM runs WHERE state = 'before'")
            before = self.snapshot()
            for index in range(7):  # one normalised statement, 7 calls
                connection.execute("INSERT INTO runs (id, state) VALUES (%s, %s)",
                                   (1000 + index, "ACTIVE"))
            for _ in range(3):
                connection.execute("SELECT id, state FROM runs WHERE state = %s", ("ACTIVE",))
            connection.execute("SELECT count(*) FROM runs WHERE state = 'before'")
            after = self.snapshot()
        delta = statements_delta(before, after, database=self.server.dsn)
        self.assertEqual(delta.missing, "")
        by_text = {s.query: s for s in delta.statements}
        insert = by_text["INSERT INTO runs (id, state) VALUES ($1, $2)"]
        select = by_text["SELECT id, state FROM runs WHERE state = $1"]
        self.assertEqual((insert.calls, insert.rows), (7, 7))
        self.assertEqual((select.calls, select.rows), (3, 21))
        counted = [s for s in delta.statements if "count(*)" in s.query]
        self.assertEqual([s.calls for s in counted], [1])  # the one after the first snapshot
        self.assertFalse([s for s in delta.statements if MARKER in s.query])  # not our reads
        self.assertEqual(delta.total_statements, 3)
        self.assertAlmostEqual(insert.mean_ms, insert.total_ms / 7, places=2)
        totals = [s.total_ms for s in delta.statements]
        self.assertEqual(totals, sorted(totals, reverse=True))

    def test_a_database_without_the_extension_says_so(self) -> None:
        dsn = self.server.dsn.rsplit("/", 1)[0] + "/no_extension"
        with self.assertRaisesRegex(StatementsUnavailable,
                                    "pg_stat_statements extension is not installed"):
            read_snapshot(dsn, password=self.server.password)

    def test_a_wrong_password_is_one_line_without_it(self) -> None:
        with self.assertRaises(StatementsUnavailable) as caught:
            read_snapshot(self.server.dsn, password="wrong-password-123")
        self.assertNotIn("wrong-password-123", str(caught.exception))
        self.assertNotIn("\n", str(caught.exception))

    def test_a_load_test_saves_the_delta_and_never_the_password(self) -> None:
        env_run = _run_with_database(self.server)
        self.addCleanup(remove_results, env_run)
        self.assertEqual(env_run.returncode, 0, env_run.output)
        (path,) = env_run.result.files_of("SqlStatements",
                                          test_id=case_id("TestExperimentCheckpoints"))
        saved = SqlStatements.open(path)
        self.assertEqual((saved.missing, saved.database), ("", self.server.dsn))
        self.assertNotIn(self.server.password, env_run.output)
        for file in env_run.results_dir.rglob("*"):
            if file.is_file():
                self.assertNotIn(self.server.password.encode(), file.read_bytes(), file)


def _run_with_database(server: PgServer):
    from uts.harness import run_daist
    from uts.rest_api.loadruns import MODULE, load_env

    env = load_env(users=2)
    env.update(DAIST_EVIDENCE_DATABASE=server.dsn, DET_DB_PASSWORD=server.password)
    return run_daist(f"{MODULE}.TestExperimentCheckpoints", env=env, timeout=240)


if __name__ == "__main__":
    unittest.main()
