"""What the stand-in says about itself, as the master does: Prometheus metrics with the
master's names, labels and buckets (``prom``) and a CPU profile of its own process in pprof's
format (``profiler``).

May import: ``common``.
"""
