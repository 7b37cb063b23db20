"""daist.db.schema against PostgreSQL: versioned migrations, the historical tables as the k6
pipeline made them, adoption of an existing database, and rows the old statements write."""
from __future__ import annotations

import unittest
from datetime import datetime, timezone

from daist.db.connection import DatabaseError
from daist.db.history import fetch_history
from daist.db.schema import ensure_schema, latest_version, migrate, migrations
from uts.db.support import TABLES, DbTestCase, run_concurrently

# The historical DDL as the k6 pipeline's uploader documents it (original-daist-behaviour
# 6.3), written the way that era wrote it: unnamed indexes, identity keys.
K6_DDL = """
CREATE TABLE perf_test_runs (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    commit text NOT NULL, branch text NOT NULL, time timestamptz NOT NULL DEFAULT NOW());
CREATE INDEX ON perf_test_runs (commit);
CREATE INDEX ON perf_test_runs (branch);
CREATE INDEX ON perf_test_runs (time);
CREATE TABLE perf_tests (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    test_name text NOT NULL, run_id int REFERENCES perf_test_runs (id),
    avg double precision, min double precision, med double precision, max double precision,
    p90 double precision, p95 double precision,
    passes int NOT NULL DEFAULT 0, fails int NOT NULL DEFAULT 0);
CREATE INDEX ON perf_tests (test_name);
CREATE INDEX ON perf_tests (run_id);
"""
# The original daist's two statements (it sent no time: the column default applies).
OLD_RUN = "INSERT INTO perf_test_runs (commit, branch) VALUES (%s, %s) RETURNING id;"
OLD_TEST = ("INSERT INTO perf_tests (test_name, run_id, avg, min, med, max, p90, p95, passes, "
            "fails) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
HISTORICAL_COLUMNS = {
    "perf_test_runs": [("id", "integer", "NO"), ("commit", "text", "NO"),
                       ("branch", "text", "NO"), ("time", "timestamp with time zone", "NO")],
    "perf_tests": [("id", "integer", "NO"), ("test_name", "text", "NO"), ("run_id", "integer", "YES"),
                   *[(c, "double precision", "YES") for c in ("avg", "min", "med", "max", "p90", "p95")],
                   ("passes", "integer", "NO"), ("fails", "integer", "NO")],
}


class TestMigrations(DbTestCase):
    def columns(self, table):
        return self.sql("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                        (self.target.schema, table))

    def indexes(self, table):
        return sorted(r[0] for r in self.sql("SELECT indexname FROM pg_indexes WHERE schemaname = %s "
                                             "AND tablename = %s", (self.target.schema, table)))

    def test_files_are_numbered_one_to_n(self):
        self.assertEqual([m.version for m in migrations()], list(range(1, latest_version() + 1)))
        self.assertGreaterEqual(latest_version(), 2)

    def test_migrate_creates_every_table_once(self):
        with self.connect() as conn:
            applied = migrate(conn, self.target)
            again = migrate(conn, self.target)
        self.assertEqual([m.version for m in applied], list(range(1, latest_version() + 1)))
        self.assertEqual(again, [])
        versions = self.sql("SELECT version, name FROM daist_schema ORDER BY version")
        self.assertEqual(versions, [(m.version, m.name) for m in migrations()])
        for table, columns in HISTORICAL_COLUMNS.items():
            self.assertEqual(self.columns(table), columns, table)
        self.assertEqual(set(self.counts()), set(TABLES))          # all exist, all queryable
        self.assertEqual(self.counts(), dict.fromkeys(TABLES, 0))
        self.assertEqual(self.sql("SELECT count(*) FROM daist_endpoint_history"), [(0,)])

    def test_adopts_tables_the_k6_pipeline_created(self):
        with self.connect() as conn:
            conn.execute(f"CREATE SCHEMA {self.target.schema}")
            conn.execute(K6_DDL)
            run_id = conn.execute(OLD_RUN, ("k6commit", "main")).fetchone()[0]
            conn.execute(OLD_TEST, ("get experiments", run_id, 10, 1, 9, 90, 20, 30, 99, 1))
            before = {t: self.indexes(t) for t in HISTORICAL_COLUMNS}
            migrate(conn, self.target)
            rows = fetch_history(conn, self.target, "get experiments", last=5)
        self.assertEqual({t: self.indexes(t) for t in HISTORICAL_COLUMNS}, before)  # no duplicates
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0].commit, rows[0].p95, rows[0].passes, rows[0].system),
                         ("k6commit", 30.0, 99, None))

    def test_old_statements_write_rows_daist_reads(self):
        with self.connect() as conn:
            migrate(conn, self.target)
            before = datetime.now(timezone.utc)
            run_id = conn.execute(OLD_RUN, ("None", "None")).fetchone()[0]
            conn.execute(OLD_TEST, ("/api/v1/master", run_id, 23.0, 4.0, 20.0, 240.0, 120.0,
                                    240.0, 29, 0))
            rows = fetch_history(conn, self.target, "/api/v1/master", last=5)
        (row,) = rows
        self.assertEqual((row.commit, row.branch, row.passes, row.fails, row.p95),
                         ("None", "None", 29, 0, 240.0))
        self.assertIsNone(row.rps)                                   # daist did not write it
        self.assertLessEqual(abs((row.time - before).total_seconds()), 60)  # NOW() default

    def test_a_newer_schema_is_refused(self):
        with self.connect() as conn:
            migrate(conn, self.target)
            conn.execute("INSERT INTO daist_schema (version, name) VALUES (%s, 'future')",
                         (latest_version() + 1,))
            with self.assertRaisesRegex(DatabaseError, r"newer than this daist knows.*upgrade"):
                ensure_schema(conn, self.target)

    def test_concurrent_first_uploads_migrate_once(self):
        def first_use():
            with self.connect() as conn:
                ensure_schema(conn, self.target)
        self.assertEqual(run_concurrently(first_use), [])
        self.assertEqual(self.sql("SELECT version FROM daist_schema ORDER BY version"),
                         [(v,) for v in range(1, latest_version() + 1)])


if __name__ == "__main__":
    unittest.main()
