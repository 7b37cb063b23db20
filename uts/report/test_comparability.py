import dataclasses
import unittest

from daist.models.config import Knob, LocustSettings, knobs
from daist.models.plan_record import PlanRecord
from daist.models.shape import SHAPES
from daist.report.comparability import (REFUSED_SETTINGS, RUN_INFO_FIELDS, WARNED_SETTINGS,
                                        check_comparable, check_sides)
from daist.report.loader import load_run
from uts.report.factories import (LOAD_TEST, METRIC_TEST, latencies, make_entry, make_op_hist,
                                  make_run_dir, make_stats, settings)

ENTRY = make_entry("get experiments", latencies(10, 40, seed=1))
OP_HIST = {1: {"write": latencies(10, 20, seed=2)}}


def run(stats=None, *, metrics=None, **kwargs):
    locust = {LOAD_TEST: stats or make_stats(ENTRY)} if stats is not False else {}
    metric = {METRIC_TEST: metrics} if metrics is not None else {}
    return load_run(make_run_dir(locust=locust, metrics=metric, **kwargs), figures=False)


class TestDeclaredVerdicts(unittest.TestCase):
    def test_each_setting_declares_how_compare_treats_a_difference(self):
        self.assertEqual(set(REFUSED_SETTINGS), {
            ("locust", "wait_time"), ("locust", "step_time"), ("locust", "remote_workers"),
            ("standin", "seed"), ("standin", "rbac")})
        self.assertEqual(set(WARNED_SETTINGS), {
            ("locust", "run_time"), ("locust", "warmup"), ("locust", "request_timeout"),
            ("locust", "stop_timeout"), ("determined", "RESOURCE_PROFILE"),
            ("standin", "faults"), ("metrics", "visible_timeout"), ("metrics", "reads")})
        self.assertEqual(set(RUN_INFO_FIELDS),
                         {"shape", "users", "rate", "steps", "user_class", "workers"})

    def test_a_recorded_setting_is_a_column_of_the_plan_record(self):
        recorded = {f.name for f, meta in knobs(LocustSettings) if meta.recorded}
        for shape in SHAPES.values():
            record = PlanRecord(shape=shape(spawn_rate=1.0))
            self.assertLessEqual(recorded, set(record.columns()), shape.name)

    def test_an_unknown_verdict_is_refused_where_it_is_declared(self):
        with self.assertRaisesRegex(ValueError, "compare must be refuse, warn or ignore"):
            Knob(help="", parse=str, compare="maybe")


class TestComparability(unittest.TestCase):
    def test_same_setup_is_comparable_and_states_the_versions(self):
        found = check_comparable(run(), run())
        self.assertEqual((found.refusals, found.warnings), ([], []))
        self.assertTrue(found.comparable)
        self.assertEqual(found.facts, ["Determined 0.38.1 on both"])

    def test_different_load_is_refused(self):
        found = check_comparable(run(make_stats(ENTRY, users=4)), run(make_stats(ENTRY, users=8)))
        self.assertEqual(found.refusals, ["TestRO.test: load users differs: 4 vs 8"])
        found = check_comparable(run(make_stats(ENTRY, shape="closed")), run(make_stats(ENTRY, shape="open")))
        self.assertIn("TestRO.test: load shape differs: 'closed' vs 'open'", found.refusals)

    def test_different_target_scale_is_refused(self):
        found = check_comparable(run(), run(config=settings(standin__scale="100")))
        self.assertEqual(found.refusals, ["target scale differs: 20 vs 100 seeded experiments"])
        recorded = check_comparable(run(metadata={"standin_scale": 20}),
                                    run(metadata={"standin_scale": 1000}))
        self.assertEqual(recorded.refusals, ["target scale differs: 20 vs 1000 seeded experiments"])

    def test_settings_that_shape_the_load_are_refused_others_warned(self):
        found = check_comparable(run(), run(config=settings(locust__wait_time="1..3",
                                                            locust__run_time="60")))
        self.assertEqual(found.refusals, ["[locust] wait_time differs: '0' vs '1..3'"])
        self.assertEqual(found.warnings, ["[locust] run_time differs: '20' vs '60'"])

    def test_stand_in_settings_matter_only_for_the_embedded_stand_in(self):
        remote = settings(determined__DET_MASTER="http://m:8080", standin__seed="5")
        found = check_comparable(run(config=settings(determined__DET_MASTER="http://m:8080")),
                                 run(config=remote))
        self.assertEqual(found.refusals, [])
        faults = check_comparable(run(), run(config=settings(standin__faults="--latency 50")))
        self.assertEqual(faults.warnings, ["[standin] faults differs: '' vs '--latency 50'"])

    def test_metric_parameters_must_match(self):
        found = check_comparable(run(False, metrics=make_op_hist(OP_HIST, parameters={"num_batches": 8})),
                                 run(False, metrics=make_op_hist(OP_HIST, parameters={"num_batches": 16})))
        self.assertEqual(found.refusals, ["Test.test: parameters differ: num_batches=8 vs num_batches=16"])

    def test_runs_of_different_tests_are_refused(self):
        self.assertEqual(check_comparable(run(), run(False, metrics=make_op_hist(OP_HIST))).refusals,
                         ["the runs ran different tests: TestRO.test only in the baseline; "
                          "Test.test only in the candidate"])

    def test_every_differing_setting_is_listed(self):
        found = check_comparable(run(), run(config=settings(
            locust__run_time="60", metrics__num_batches="64", log__file_level="DEBUG",
            exec__output="/elsewhere")))   # where results go and what is logged: no figure
        self.assertEqual(found.differences, ["[locust] run_time: '20' vs '60'",
                                             "[metrics] num_batches: unset vs '64'"])

    def test_a_baseline_without_tests_is_refused(self):
        found = check_comparable(run(False, metrics=None), run())
        self.assertEqual(found.refusals, ["the runs ran different tests: TestRO.test only in the candidate",
                                          "the baseline has no readable load test or metric-latency test"])

    def test_runs_of_one_side_must_be_alike(self):
        base, other = run(), run(make_stats(ENTRY, users=8))
        found = check_sides([base, other], [run()])
        self.assertEqual(len(found.refusals), 1)
        self.assertRegex(found.refusals[0], r"^baseline runs \S+ and \S+: TestRO.test: load users "
                                            r"differs: 4 vs 8$")

    def test_warnings(self):
        found = check_comparable(run(make_stats(ENTRY, saturated=True)),
                                 run(make_stats(ENTRY, window_s=60), system="det-prod",
                                     metadata={"hostname": "other", "cpu_count": 16}))
        self.assertEqual(found.warnings, [
            "different systems under test: standin vs det-prod",
            "the load came from different machines (uts-host, 2 CPUs vs other, 16 CPUs): a "
            "difference may be the generator's",
            "TestRO.test: measurement windows differ: 20.0 s vs 60.0 s",
            "TestRO.test: the baseline's load generator was saturated (>= 80% CPU): its figures "
            "show the generator's limit"])
        self.assertEqual(found.refusals, [])

    def test_versions_are_facts(self):
        base, cand = run(), run()
        cand.result.version.determined.server = "0.39.0"
        cand.result.metadata["git_commit"] = "fedcba9876543210"
        found = check_comparable(base, cand)
        self.assertEqual(found.facts, ["Determined 0.38.1 vs 0.39.0",
                                       "daist commit 0123456789 vs fedcba9876"])
        self.assertTrue(found.comparable)
