"""The report reads the limits a test saved (``Limits``), not its settings again; a run saved
before tests saved them is read from its saved settings, where 0 meant "no limit"."""
import shutil
import unittest

from daist.framework.errors import ConfigError
from daist.models.base import open_artifact
from daist.models.limits import METRIC, LimitRule, Limits, load_limits, metric_limits
from daist.models.result import Result
from daist.report.compare import compare_runs
from daist.report.limits import run_limits
from daist.report.loader import load_run
from daist.report.metric_answer import answer
from daist.report.summary import checks_of, summary_text
from uts.report.factories import (LOAD_TEST, METRIC_TEST, latencies, make_entry, make_op_hist,
                                  make_run_dir, make_stats, settings)

KEY = "TestRO.test"
OLD_CONFIG = settings(locust__p95_ms="1000", locust__p99_ms="0", locust__max_fail_ratio="0",
                      locust__slo="write:p95=0; get me:fail=0; get:p99=0,p95=40")
"""As main wrote it before one grammar: 0 lifted a limit (but max_fail_ratio = 0 allowed no
failure at all)."""


def stats():
    return make_stats(make_entry("get experiments", latencies(12, 200, seed=1)),
                      make_entry("get me", latencies(30, 200, seed=2), failures=3,
                                 endpoint_class="get"),
                      make_entry("patch model", latencies(2000, 200, seed=3),
                                 endpoint_class="write"))


def run_dir(config, *, saved=None):
    directory = make_run_dir(locust={LOAD_TEST: stats()}, config=config)
    if saved is not None:
        (manifest,) = directory.glob("Result-*.json")
        Result.open(manifest).add(saved, test_id=LOAD_TEST, tags=(KEY,))
    return directory


class TestSavedLimits(unittest.TestCase):
    def setUp(self):
        self.dirs = []

    def tearDown(self):
        for directory in self.dirs:
            shutil.rmtree(directory.parents[1], ignore_errors=True)

    def load(self, config, **kwargs):
        directory = run_dir(config, **kwargs)
        self.dirs.append(directory)
        return load_run(directory)

    def test_the_report_reads_the_saved_limits_not_the_settings(self):
        saved = load_limits("list:p95=5", p95_ms=None, p99_ms=None, max_fail_ratio=0.5)
        # the saved settings say otherwise (as if edited after the run): they are not read
        run = self.load(settings(locust__p95_ms="1000", locust__slo="get me:p99=1",
                                 locust__max_fail_ratio="0.01"), saved=saved)
        lines = {(c.scope, c.measure): c.limit for c in checks_of(run, KEY)}
        self.assertEqual(lines, {("all requests", "fail"): 0.5, ("class list", "p95"): 5.0,
                                 ("class get", "fail"): 0.5})
        self.assertIn("Limits: 2 met, 1 broken", summary_text(run))

    def test_limits_round_trip_through_their_file(self):
        directory = run_dir(settings())
        self.dirs.append(directory)
        saved = load_limits("get:p99=700,fail=", p95_ms=900, p99_ms=None, max_fail_ratio=0.1)
        path = saved.save(directory / Limits.filename(tags=(KEY,)))
        self.assertEqual(open_artifact(path), saved)
        self.assertEqual(saved.rules, [LimitRule("get", "p99", None, 700.0),
                                       LimitRule("get", "fail", None, None)])

    def test_an_old_run_reads_0_as_no_limit_and_loads_summarises_and_compares(self):
        run = self.load(OLD_CONFIG)
        checks = {(c.scope, c.measure): c.limit for c in checks_of(run, KEY)}
        # write's p95 and get me's own failure limit were lifted by 0 (its 3 failures are
        # judged by the whole test's 0), p99 never set
        self.assertEqual(checks, {("all requests", "fail"): 0.0, ("get me", "p95"): 40.0,
                                  ("class list", "p95"): 1000.0})
        self.assertIn("Limits:", summary_text(run))
        other = self.load(OLD_CONFIG)
        self.assertEqual(compare_runs(run, other).regressions, [])

    def test_an_old_config_value_no_grammar_accepted_fails_closed_in_one_line(self):
        run = self.load(settings(locust__p95_ms="fast"))
        with self.assertRaises(ConfigError) as caught:
            checks_of(run, KEY)
        self.assertRegex(str(caught.exception), r"the saved limits cannot be read: "
                                                r"\[locust\] p95_ms: limit 'fast' is not")
        self.assertNotIn("\n", str(caught.exception))

    def test_a_run_with_neither_has_no_limits_table(self):
        run = self.load({"determined": {"DET_MASTER": ""}})
        self.assertIsNone(checks_of(run, KEY))
        self.assertIn("Limits: unknown", summary_text(run))


class TestSavedMetricLimits(unittest.TestCase):
    def test_the_metric_answer_draws_the_saved_limits(self):
        op_hist = make_op_hist({level: {"write": latencies(10 * level, 40, seed=level)}
                                for level in (1, 2, 4)})
        directory = make_run_dir(metrics={METRIC_TEST: op_hist},
                                 config=settings(metrics__slo="write:p95=100000"))
        self.addCleanup(shutil.rmtree, directory.parents[1])
        (manifest,) = directory.glob("Result-*.json")
        saved = metric_limits("write:p50@2=1", operations=("write",))
        Result.open(manifest).add(saved, test_id=METRIC_TEST, tags=("Test.test",))
        found = answer(op_hist, run_limits(load_run(directory), "Test.test", METRIC.key),
                       title="t")
        self.assertEqual(found.breaking_level, 2)


if __name__ == "__main__":
    unittest.main()
