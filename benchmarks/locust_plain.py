"""The plain-Locust reference of benchmarks/locust_bench.py: the locustfile of the anchors
(FastHttpUser, one GET, no wait time, no hooks)."""
from locust import FastHttpUser, task


class PlainUser(FastHttpUser):
    @task
    def master(self) -> None:
        self.client.get("/api/v1/master")
