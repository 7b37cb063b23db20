"""The perf-results database (PostgreSQL): daist's own versioned schema next to the historical
``perf_test_runs``/``perf_tests`` tables shared with years of k6 results, the upload of results
directories (after each test of a run, or later with ``python -m daist.db upload``), and the
trend of an endpoint over runs (``python -m daist.db history``).

Modules: ``connection`` (target, connect, error translation), ``schema`` (migrations),
``rows`` (artifacts to row values, no database), ``upload`` (writes, the session hook),
``history`` (the trend query), ``cli``. Importing any of them connects to nothing.
"""
