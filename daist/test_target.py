"""The smallest real cluster test: the target answers ``GET /api/v1/master`` and accepts our
login. It shows the flow (session -> test -> artifact -> manifest) and is a quick check that a
master is reachable before a long run: ``./run.py daist.test_target``."""
from __future__ import annotations

import time

from daist.framework.master_client import MasterClient
from daist.framework.testcase import DaistTestCase
from daist.models.master import MasterInfo


class TestTarget(DaistTestCase):
    @classmethod
    def planned_seconds(cls, settings) -> float | None:
        return 2.0  # one request and a login

    def test_master_answers(self) -> None:
        target = self.session.target
        settings = self.session.settings.determined
        with MasterClient(target.url) as api:
            started = time.perf_counter()
            body = api.get("/api/v1/master")
            latency_ms = (time.perf_counter() - started) * 1000
            me = api.login(settings.DET_USER, settings.DET_PASSWORD.reveal())["user"]
        info = MasterInfo.from_response(target.url, body, latency_ms=latency_ms)
        self.save(info)
        self.assertTrue(info.version, "GET /api/v1/master has no version")
        self.assertEqual(me.get("username"), settings.DET_USER)
