"""What every test kind shares of Locust's master/worker engine: worker start-up and hello,
the per-worker CPU record, lost-worker detection, the exact (HDR) merge at the master, and the
worker process's runtime (docs/distributed.md)."""
