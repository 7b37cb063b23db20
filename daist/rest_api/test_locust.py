"""The REST API load tests (run them with ``./run.py daist.rest_api.test_locust.TestRO``).

Test ids are those of the original daist (``daist.rest_api.test_locust.TestRO.test``...): the
perf-results history joins on them. The load shape, verdict limits and generator layout come
from ``[locust]`` (``python -m daist --list-settings``).
"""
from __future__ import annotations

import daist.rest_api.locust_import  # noqa: F401  (gevent patching before the rest)

from daist.models.locust import LocustStatsList
from daist.report.scaling_plot import scaling_figure
from daist.rest_api.loadrun import LoadRun
from daist.rest_api.loadtest import LoadTestCase


class TestRO(LoadTestCase):
    """The read-only mix of the whole catalogue (original defaults: 10 users, 300 s)."""

    mix = "ro"

    def test(self) -> None:
        self.run_load()


class TestExperimentCheckpoints(LoadTestCase):
    """GET /api/v1/experiments/{id}/checkpoints alone: it made determined 0.34.0 hang
    (SCALE-32). A hanging master shows as timeouts after ``request_timeout``, and the test still
    ends within ``run_time`` + ``stop_timeout``."""

    mix = "checkpoints"

    def test(self) -> None:
        self.run_load()


class TestRW(LoadTestCase):
    """Reads mixed with writes on objects the users create themselves (projects, notes,
    labels, models and model versions); every one is removed at the end, also after a
    failure."""

    mix = "rw"

    def test(self) -> None:
        self.run_load()


class TestScaling(LoadTestCase):
    """The read-only mix as a user sweep (``[locust] steps``, ``step_time`` each): throughput
    and p95 against users, with the knee marked, as a PNG curve."""

    mix = "ro"
    plan_overrides = {"shape": "steps"}

    def test(self) -> None:
        self.run_load()

    def _save_extra(self, load: LoadRun, stats: LocustStatsList) -> None:
        if stats.steps:
            figure = scaling_figure(stats.steps, title=f"{self.tag}: scaling curve")
            self.save(figure, tags=("scaling",), classname="LocustStatsList")
