"""Tests of ``daist.db`` (the perf-results database) against a real PostgreSQL server from the
``UTS_PG_*`` variables (``.ci/pg_start``); without one they skip and say why."""
