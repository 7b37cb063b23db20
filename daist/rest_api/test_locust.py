"""The REST API load tests (run them with ``./run.py daist.rest_api.test_locust.TestRO``).

Test ids are those of the original daist (``daist.rest_api.test_locust.TestRO.test``...): the
perf-results history joins on them. The load shape, verdict limits and generator layout come
from ``[locust]`` (``python -m daist --list-settings``).
"""
from __future__ import annotations

import daist.engine.locust_import  # noqa: F401  (gevent patching before the rest)

from daist.framework.log import get_logger
from daist.framework.settings import Settings
from daist.models.locust import LocustStatsList
from daist.models.shape import StepsShape
from daist.report.scaling_plot import scaling_figure
from daist.rest_api.loadrun import LoadRun
from daist.rest_api.loadtest import LoadTestCase

log = get_logger("rest_api")


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
    plan_overrides = {"shape": StepsShape.name}

    def test(self) -> None:
        self.run_load()

    def _save_extra(self, load: LoadRun, stats: LocustStatsList) -> None:
        if stats.steps:
            figure = scaling_figure(stats.steps, title=f"{self.tag}: scaling curve")
            self.save(figure, tags=("scaling",), classname="LocustStatsList")


class TestVolume(LoadTestCase):
    """The read-only mix at fixed users (``[locust]``) at each number of experiments of
    ``[volume] levels``, seeded up to each in turn (``python -m daist.seed`` under
    ``[volume] label``); then p50/p95 per endpoint class against experiments, as a table and a
    plot, naming the endpoints whose p95 grows fastest. The seeded data is removed at the end
    (also after a failure) unless ``[volume] keep``."""

    mix = "ro"

    @classmethod
    def planned_seconds(cls, settings: Settings) -> float | None:
        return None if settings.volume.levels else 0.0  # it seeds first; without levels it skips

    def test(self) -> None:
        from daist.framework.master_client import MasterClient
        from daist.models.base import Format, TextDocument
        from daist.rest_api.volume import VolumePoint, table_text, volume_figure
        from daist.seed.master import SeedMaster
        from daist.seed.plan import SeedPlan
        from daist.seed.run import remove, seed

        settings = self.session.settings
        volume = settings.volume
        if not volume.levels:
            self.skipTest("[volume] levels is empty (DAIST_VOLUME_LEVELS, e.g. 100,1000,10000): "
                          "TestVolume seeds data on the master, so it runs only when asked")
        url = self.session.target.url
        points: list[VolumePoint] = []
        with MasterClient(url, timeout=60) as api:
            api.login(settings.determined.DET_USER, settings.determined.DET_PASSWORD.reveal())
            master = SeedMaster(url, api.token or "")
            plan = SeedPlan(label=volume.label, experiments=0)
            try:
                for level in sorted(set(volume.levels)):
                    plan = SeedPlan(label=volume.label, experiments=level)
                    seed(master, plan, concurrency=volume.seed_concurrency,
                         say=lambda text: log.info("%s", text))
                    total = int(api.get("/api/v1/experiments", limit=1)["pagination"]["total"])
                    log.info("%s: %d experiments on the master (%d seeded)", self.tag, total,
                             level)
                    points.append(VolumePoint(experiments=total, stats=self.run_load()))
            finally:
                if points:
                    title = f"{self.tag} on {url}"
                    self.save(TextDocument(text=table_text(points, title=title)),
                              fmt=Format.TXT, tags=("volume",), classname="LocustStatsList")
                    self.save(volume_figure(points, title=title), tags=("volume",),
                              classname="LocustStatsList")
                    log.info("%s", table_text(points, title=title).rstrip())
                if not volume.keep:
                    gone = remove(master, plan, concurrency=volume.seed_concurrency)
                    log.info("removed the seeded data of label %s (%d experiments)",
                             volume.label, gone.experiments)
                master.close()


class TestCapacity(LoadTestCase):
    """The most users the master serves within [locust]'s limits (p95_ms, p99_ms, slo, failure
    ratios): users grow by [capacity] growth until a step breaks a limit, then the search bisects
    to [capacity] resolution; Capacity-*.json has the answer, every step and a USL fit."""

    @property
    def workload(self) -> str:
        return self.session.settings.capacity.mix

    def test(self) -> None:
        from daist.rest_api.capacity import CapacitySearch

        CapacitySearch(self).run()
