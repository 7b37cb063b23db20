"""What the target says about itself during a load test's window: the master's Prometheus
metrics (its own time per gRPC method), a CPU profile (pprof) and the SQL statements its
database ran (pg_stat_statements). Used by every test kind; imports no kind.

Layer: above ``framework``, beside ``seed`` and ``report``; saves ``daist.models.evidence``
artifacts, which ``report`` reads without importing this package.
"""
