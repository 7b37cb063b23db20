import dataclasses
import json
import tempfile
import unittest
from pathlib import Path

from daist.models.config import LocustSettings
from daist.models.locust import LocustStatsList, RunInfo
from daist.models.plan_record import PlanRecord
from daist.models.serde import DataError
from daist.models.shape import (ClosedShape, LoadShape, OpenShape, Phase, ShapeError, StepsShape,
                                shape_of)

SETTINGS = LocustSettings()
OLD_STEPS = Path(__file__).parents[1] / "report" / "fixtures" / "old_shapes" / "steps"


def settings(**values) -> LocustSettings:
    return dataclasses.replace(SETTINGS, **values)


class TestUsersOverTime(unittest.TestCase):
    def test_each_shape_knows_its_phases(self):
        closed = shape_of(settings(users=4, spawn_rate=2.0, run_time=60.0))
        self.assertEqual(closed.phases(), (Phase(4, 60.0, 2.0),))
        open_ = shape_of(settings(shape="open", users=8, rate=50.0, run_time=30.0))
        self.assertEqual(open_.phases(), (Phase(8, 30.0, 8.0),))  # all users at once
        steps = shape_of(settings(shape="steps", steps=[1, 2, 4], step_time=10.0))
        self.assertEqual([p.users for p in steps.phases()], [1, 2, 4])
        self.assertEqual((steps.peak_users, steps.load_s, steps.measured_s(2.0)), (4, 30.0, 24.0))

    def test_users_at_a_time(self):
        steps = StepsShape(spawn_rate=1.0, steps=(1, 2, 4), step_time_s=10.0)
        self.assertEqual([steps.users_at(t) for t in (0, 9.9, 10, 25, 29.9, 30)], [1, 1, 2, 4, 4, 0])
        self.assertEqual(ClosedShape(spawn_rate=1.0, users=3, run_time_s=5.0).users_at(4.0), 3)

    def test_only_the_open_shape_paces_its_users(self):
        self.assertEqual(OpenShape(spawn_rate=1.0, users=4, run_time_s=1.0, rate=90.0).user_rate(3), 30.0)
        self.assertEqual(ClosedShape(spawn_rate=1.0, users=4, run_time_s=1.0).user_rate(3), 0.0)


class TestParsing(unittest.TestCase):
    def test_settings_make_one_shape(self):
        self.assertIsInstance(shape_of(SETTINGS), ClosedShape)
        self.assertIsInstance(shape_of(settings(shape="open", rate=5.0)), OpenShape)
        self.assertIsInstance(shape_of(settings(shape="steps")), StepsShape)

    def test_bad_combinations_are_one_line_errors(self):
        cases = [({"shape": "open"}, "shape = open needs rate > 0"),
                 ({"shape": "steps", "rate": 5.0}, "rate is set but shape = steps: use shape = open"),
                 ({"shape": "steps", "steps": []}, "shape = steps needs a list of steps"),
                 ({"shape": "steps", "steps": [2, 2]}, "steps must increase"),
                 ({"shape": "steps", "step_time": 5.0, "warmup": 5.0}, "step_time must be longer"),
                 ({"run_time": 5.0, "warmup": 5.0}, "run_time must be longer than warmup"),
                 ({"shape": "ramp"}, "'ramp' is none of closed, open, steps")]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ShapeError, message):
                shape_of(settings(**values))


class TestCompareAndSummary(unittest.TestCase):
    def test_how_compare_treats_each_shape(self):
        closed = ClosedShape(spawn_rate=1.0, users=4, run_time_s=1.0)
        open_ = OpenShape(spawn_rate=1.0, users=4, run_time_s=1.0, rate=9.0)
        steps = StepsShape(spawn_rate=1.0, steps=(1, 2), step_time_s=1.0)
        self.assertEqual([(s.total_rps_judged(single=True), s.total_rps_judged(single=False),
                           s.endpoint_rps_judged, s.compared_users) for s in (closed, open_, steps)],
                         [(False, True, False, 4), (True, True, True, 0), (False, False, False, 0)])

    def test_the_summary_words(self):
        self.assertEqual([s.describe() for s in (
            ClosedShape(spawn_rate=1.0, users=4, run_time_s=1.0),
            OpenShape(spawn_rate=1.0, users=4, run_time_s=1.0, rate=12.5),
            StepsShape(spawn_rate=1.0, steps=(1, 2), step_time_s=1.0))],
            ["closed, 4 users", "open, 12.5 requests/s", "steps [1, 2] users"])


class TestRecord(unittest.TestCase):
    def test_the_plan_is_recorded_once_and_reads_back(self):
        shape = StepsShape(spawn_rate=2.0, steps=(1, 3), step_time_s=4.0)
        stats = LocustStatsList(run=RunInfo(plan=PlanRecord(shape=shape, warmup_s=1.0,
                                                            user_class="HttpUser", workers=2)))
        with tempfile.TemporaryDirectory() as tmp:
            path = stats.save(Path(tmp) / "LocustStatsList-T.json")
            run = json.loads(path.read_text())["run"]
            again = LocustStatsList.open(path)
        self.assertEqual(run["plan"], {"shape": {"name": "steps", "spawn_rate": 2.0, "steps": [1, 3],
                                                 "step_time_s": 4.0},
                                       "warmup_s": 1.0, "user_class": "HttpUser", "workers": 2})
        self.assertFalse({"shape", "users", "run_time_s", "warmup_s", "workers"} & set(run))
        self.assertEqual(again.run.plan, stats.run.plan)
        self.assertIsNone(again.run.plan.flat)
        self.assertEqual(again.run.plan.columns()["run_time_s"], 8.0)

    def test_an_old_flat_record_reads_into_the_same_record(self):
        path = next(next(OLD_STEPS.iterdir()).glob("LocustStatsList-*.json"))
        plan = LocustStatsList.open(path).run.plan
        self.assertEqual(plan.shape, StepsShape(spawn_rate=10.0, steps=(1, 2), step_time_s=0.0))
        self.assertEqual((plan.user_class, plan.workers), ("FastHttpUser", 0))
        # what the old file said, also where the shape alone would say otherwise
        self.assertEqual((plan.columns()["users"], plan.columns()["run_time_s"]), (2, 300.0))

    def test_an_unknown_shape_is_named(self):
        with self.assertRaisesRegex(DataError, "a load shape names one of closed, open, steps"):
            LoadShape.from_data({"name": "ramp"})
        with self.assertRaisesRegex(DataError, "steps shape"):
            LoadShape.from_data({"name": "steps", "steps": "many"})
