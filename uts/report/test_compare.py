"""compare on saved runs built by the factories (real artifacts through the real models and
loader). Every sample is drawn from a fixed seed, so each case has one outcome, and each A/A
case draws both sides from the same distribution."""
import math
import unittest

from daist.models.locust import StepPoint
from daist.report.compare import (EVIDENCE, IMPROVEMENT, NOT_JUDGED, NOT_SIGNIFICANT,
                                  NOT_TESTABLE, REGRESSION, WITHIN, CompareResult, Thresholds,
                                  compare_runs)
from daist.report.compare_render import render_text, verdict_text
from daist.report.detectable import caught_text, runs_needed, smallest_caught
from daist.report.loader import load_run
from daist.report.stats import BLOCKS, RUNS, THRESHOLDS_ONLY, TestOutcome
from uts.report.factories import (LOAD_TEST, METRIC_TEST, artifact_path, latencies, make_entry,
                                  make_op_hist, make_run_dir, make_stats, run_sides)

ENDPOINTS = [f"get thing {i:02d}" for i in range(4)]  # (HdrSummary.of costs ~80 ms each)


def load_sides(**kwargs) -> tuple[list, list]:
    base, cand = run_sides(ENDPOINTS, **kwargs)
    return [load_run(d, figures=False) for d in base], [load_run(d, figures=False) for d in cand]


def flagged(comparison) -> list[str]:
    return [row.name for row in comparison.regressions]


def figure(comparison, name, metric) -> CompareResult:
    row = next(r for r in comparison.rows if r.name == name)
    return next(r for r in row.results if r.metric == metric)


class TestSeveralRunsPerSide(unittest.TestCase):
    def test_identical_runs_pass_judged_by_the_spread_between_runs(self):
        comparison = compare_runs(*load_sides(runs=(3, 3), seed=1))
        self.assertEqual(flagged(comparison), [], render_text(comparison))
        self.assertFalse(comparison.failed)
        p50 = figure(comparison, "GET get thing 00", "p50")
        self.assertEqual((p50.mode, p50.judged_by), (RUNS, "runs 3 vs 3"))
        self.assertEqual(verdict_text(comparison), "No regression.")

    def test_40_ms_more_on_one_endpoint_is_caught_and_named(self):
        comparison = compare_runs(*load_sides(runs=(3, 3), added_ms={"get thing 02": 40.0}))
        self.assertEqual(flagged(comparison), ["GET get thing 02"], render_text(comparison))
        p50 = figure(comparison, "GET get thing 02", "p50")
        self.assertEqual(p50.verdict, REGRESSION)
        self.assertAlmostEqual(p50.cand - p50.base, 40.0, delta=2.0)
        self.assertLess(p50.p_adjusted, 0.05)
        self.assertRegex(render_text(comparison),
                         r"GET get thing 02 p50 [\d.]+ ms -> [\d.]+ ms, 2\.\d\dx slower "
                         r"\[runs 3 vs 3, noise ±[\d.]+%, p [\d.e-]+\]")

    def test_a_side_of_one_run_is_judged_by_every_runs_blocks_pooled(self):
        for runs, judged_by in (((3, 1), "blocks 30 vs 10"), ((1, 2), "blocks 10 vs 20")):
            comparison = compare_runs(*load_sides(runs=runs, added_ms={"get thing 01": 40.0}))
            p50 = figure(comparison, "GET get thing 01", "p50")
            self.assertEqual((p50.judged_by, p50.verdict), (judged_by, REGRESSION))
            self.assertEqual(flagged(comparison), ["GET get thing 01"], render_text(comparison))

    def test_runs_that_differ_a_lot_hide_a_change_of_their_size(self):
        """A change no larger than the spread between runs is within the noise."""
        sides = []
        for side, medians in ((0, (30, 40, 55)), (1, (35, 48, 62))):
            sides.append([load_run(make_run_dir(locust={LOAD_TEST: make_stats(
                make_entry("get x", latencies(m, 300, seed=side * 10 + i)))}), figures=False)
                for i, m in enumerate(medians)])
        p50 = figure(compare_runs(*sides), "GET get x", "p50")
        self.assertTrue(p50.exceeds)
        self.assertEqual(p50.verdict, NOT_SIGNIFICANT)


class TestOneRunPerSide(unittest.TestCase):
    def test_identical_runs_pass_judged_by_blocks(self):
        for seed in (1, 2):
            comparison = compare_runs(*load_sides(seed=seed))
            self.assertFalse(comparison.failed, render_text(comparison))
            self.assertEqual(figure(comparison, "GET get thing 03", "p95").judged_by,
                             "blocks 10 vs 10")

    def test_40_ms_more_on_one_endpoint_is_caught_and_named(self):
        comparison = compare_runs(*load_sides(added_ms={"get thing 00": 40.0}))
        self.assertEqual(flagged(comparison), ["GET get thing 00"])
        self.assertEqual(figure(comparison, "GET get thing 00", "p50").verdict, REGRESSION)
        self.assertEqual(verdict_text(comparison),
                         "FAILED: 1 regression: TestRO.test: GET get thing 00 (p50, p95)")

    def test_a_stall_in_one_block_is_not_a_regression(self):
        base = make_entry("get x", latencies(10, 400, seed=1))
        stalled = latencies(10, 400, seed=2)
        stalled[40:80] *= 8            # block 1 of 10: every request 8x slower
        runs = [load_run(make_run_dir(locust={LOAD_TEST: make_stats(entry)}), figures=False)
                for entry in (base, make_entry("get x", stalled))]
        comparison = compare_runs(*runs)
        p99, p95 = (figure(comparison, "GET get x", m) for m in ("p99", "p95"))
        self.assertGreater(p99.ratio, 4)               # the run's own p99 moved 4x and more
        self.assertTrue(p99.exceeds)
        self.assertEqual(p99.verdict, NOT_TESTABLE)     # 40 per block tell no block's p99
        self.assertTrue(p95.exceeds)
        self.assertEqual(p95.verdict, NOT_SIGNIFICANT)  # one block of ten: a stall, not a shift
        self.assertEqual(flagged(comparison), [])

    def test_tails_need_more_evidence_than_the_median(self):
        comparison = compare_runs(*load_sides(slow={"get thing 01": 1.3}))
        p50, p95, p99 = (figure(comparison, "GET get thing 01", m) for m in ("p50", "p95", "p99"))
        self.assertEqual(p50.verdict, REGRESSION)
        self.assertEqual(p99.verdict, WITHIN)          # +30% of a tail: under the x4 threshold
        self.assertEqual(Thresholds().for_figure("p99", BLOCKS), (0.4, 20.0, 0.0005))
        self.assertEqual(Thresholds().for_figure("p50", BLOCKS), (0.1, 5.0, 0.05))
        self.assertEqual(EVIDENCE[RUNS]["p99"], (2.0, 0.1))
        self.assertEqual(Thresholds().for_figure("p50", RUNS, common=True), (0.2, 10.0, 0.05))
        self.assertIn(p95.verdict, (REGRESSION, WITHIN))

    def test_too_few_blocks_is_not_testable_never_a_regression(self):
        runs = [load_run(make_run_dir(locust={LOAD_TEST: make_stats(
            make_entry("get x", latencies(40 * f, 300, seed=i), blocks=3), blocks=3)}), figures=False)
            for i, f in ((1, 1.0), (2, 2.0))]
        comparison = compare_runs(*runs)
        p50 = figure(comparison, "GET get x", "p50")
        self.assertEqual(p50.verdict, NOT_TESTABLE)
        self.assertEqual(flagged(comparison), [])
        self.assertIn("too few blocks with requests (3 vs 3; a test needs 4)", render_text(comparison))

    def test_files_without_blocks_are_judged_by_the_thresholds_alone(self):
        runs = [load_run(make_run_dir(locust={LOAD_TEST: make_stats(
            make_entry("get x", latencies(40 * f, 300, seed=i), blocks=0), blocks=0)}), figures=False)
            for i, f in ((1, 1.0), (2, 1.3))]
        p50 = figure(compare_runs(*runs), "GET get x", "p50")
        self.assertEqual((p50.mode, p50.verdict, p50.p_adjusted), (THRESHOLDS_ONLY, REGRESSION, None))

    def test_failure_ratio_regression(self):
        comparison = compare_runs(*load_sides(failures={"get thing 03": 60}))
        self.assertEqual(flagged(comparison), ["GET get thing 03", "all endpoints"])
        fail = figure(comparison, "GET get thing 03", "fail")
        self.assertEqual((fail.base, fail.cand, fail.wording), (0.0, 0.1, "+10.0 pts failed"))
        self.assertEqual(fail.noise_text[-3:], "pts")


class TestFailClosed(unittest.TestCase):
    def sides(self):
        return run_sides(ENDPOINTS, runs=(1, 2), seed=3)

    def test_a_deleted_candidate_file_fails_naming_it(self):
        base, cand = self.sides()
        stats = artifact_path(cand[1], "LocustStatsList")
        stats.unlink()
        comparison = compare_runs([load_run(base[0], figures=False)],
                                  [load_run(d, figures=False) for d in cand])
        self.assertTrue(comparison.failed)
        self.assertEqual(comparison.missing, [f"candidate {cand[1]}: unreadable {stats.name}: missing",
                                              f"TestRO.test: load test missing in the candidate {cand[1]}"])
        self.assertTrue(verdict_text(comparison).startswith("FAILED: 2 missing or unreadable: "))

    def test_a_truncated_candidate_file_fails_naming_it(self):
        base, cand = self.sides()
        stats = artifact_path(cand[0], "LocustStatsList")
        stats.write_bytes(stats.read_bytes()[:500])
        comparison = compare_runs([load_run(base[0], figures=False)],
                                  [load_run(d, figures=False) for d in cand])
        self.assertTrue(comparison.failed)
        self.assertRegex(comparison.missing[0], rf"^candidate {cand[0]}: unreadable {stats.name}: malformed")

    def test_an_endpoint_without_requests_in_a_candidate_run_fails(self):
        entries = [make_entry(name, latencies(5, 50, seed=i)) for i, name in enumerate("ab")]
        base = load_run(make_run_dir(locust={LOAD_TEST: make_stats(*entries)}), figures=False)
        cand = load_run(make_run_dir(locust={LOAD_TEST: make_stats(entries[0], make_entry(
            "c", latencies(5, 50, seed=3)))}), figures=False)
        comparison = compare_runs(base, cand)
        self.assertEqual(comparison.missing,
                         [f"TestRO.test: GET b has no requests in the candidate {cand.directory}"])
        self.assertEqual(comparison.unmatched, ["TestRO.test: GET c has requests in the candidate only"])
        self.assertTrue(comparison.failed)
        self.assertFalse(comparison.regressions)

    def test_a_metric_level_missing_in_the_candidate_fails(self):
        runs = [load_run(make_run_dir(metrics={METRIC_TEST: make_op_hist(
            {level: {"write": latencies(30, 64, seed=level)} for level in levels})}), figures=False)
            for levels in ((1, 2), (1,))]
        comparison = compare_runs(*runs)
        self.assertEqual(comparison.missing, ["Test.test: write @ concurrency 2 is missing in a run"])


class TestHeadline(unittest.TestCase):
    def test_regressions_largest_first_then_improvements_then_one_line(self):
        comparison = compare_runs(*load_sides(added_ms={"get thing 01": 20.0, "get thing 03": 60.0},
                                              slow={"get thing 02": 0.5}))
        self.assertEqual(flagged(comparison), ["GET get thing 03", "GET get thing 01"])
        self.assertEqual([row.name for row in comparison.improvements], ["GET get thing 02"])
        text = render_text(comparison)
        order = [text.index(s) for s in ("Regressions (largest first):", "thing 03 p50",
                                         "thing 01 p50", "Improvements:", "thing 02 p50",
                                         "Unchanged: 1 endpoints, 1 test totals")]
        self.assertEqual(order, sorted(order), text)
        self.assertTrue(text.endswith("FAILED: 2 regressions: TestRO.test: GET get thing 03 (p50, "
                                      "p95); TestRO.test: GET get thing 01 (p50, p95)\n"), text)

    def test_the_one_line_verdict_names_five_and_counts_the_rest(self):
        names = [f"e{i}" for i in range(7)]
        base, cand = run_sides(names, failures={name: 10 * (i + 1) for i, name in enumerate(names)},
                               n=200)
        comparison = compare_runs(load_run(base[0], figures=False), load_run(cand[0], figures=False))
        line = verdict_text(comparison)
        self.assertTrue(line.startswith("FAILED: 8 regressions: TestRO.test: GET e6 (failed); "
                                        "TestRO.test: GET e5 (failed); TestRO.test: GET e4 "), line)
        self.assertTrue(line.endswith("; and 3 more"), line)

    def test_endpoints_are_judged_against_the_common_level(self):
        """A busier machine slows every endpoint: with one run per side that is shown, not
        judged; one endpoint slower than the rest still is."""
        names = [f"e{i}" for i in range(6)]
        base, cand = run_sides(names, slow={name: 2.0 for name in names}, added_ms={"e3": 100.0},
                               n=200)
        comparison = compare_runs(load_run(base[0], figures=False), load_run(cand[0], figures=False))
        self.assertEqual(flagged(comparison), ["GET e3"], render_text(comparison))
        p50 = figure(comparison, "GET e3", "p50")
        self.assertRegex(p50.wording, r"^\d\.\d\dx slower \(2\.\d\dx slower against the common level\)$")
        self.assertEqual(p50.judged_by, "blocks 10 vs 10, relative")
        common = figure(comparison, "all endpoints", "p50")
        self.assertAlmostEqual(common.ratio, 2.0, delta=0.1)
        self.assertEqual((common.verdict, common.judged_by), (NOT_JUDGED, NOT_JUDGED))
        self.assertIn("one run per side cannot tell a slower master from a busier machine",
                      render_text(comparison))
        # over runs, the common level is judged like any figure
        base, cand = run_sides(names, runs=(2, 2), slow={name: 2.0 for name in names}, n=200)
        repeated = compare_runs([load_run(d, figures=False) for d in base],
                                [load_run(d, figures=False) for d in cand])
        self.assertEqual(flagged(repeated), ["all endpoints"])
        self.assertEqual(figure(repeated, "all endpoints", "p50").verdict, REGRESSION)

    def test_a_move_against_the_common_level_within_the_endpoints_scatter_is_not_a_change(self):
        """A machine that slows every endpoint 1.6x may scatter them around that: the noise
        between runs is measured over the test's endpoints. e3 at 2.2x (1.375x against the
        rest) is called where the other endpoints all moved 1.6x, and not where they scattered
        1.35x either side of it."""
        names = [f"e{i}" for i in range(10)]
        scattered = {n: 1.6 * (1.35 if i % 2 else 1 / 1.35) for i, n in enumerate(names)}
        for others, flagged_rows in (({n: 1.6 for n in names}, ["GET e3"]), (scattered, [])):
            base, cand = run_sides(names, slow={**others, "e3": 2.2}, n=200)
            comparison = compare_runs(load_run(base[0], figures=False),
                                      load_run(cand[0], figures=False))
            self.assertEqual(flagged(comparison), flagged_rows, render_text(comparison))

    def test_twice_the_p50_is_caught_at_every_split(self):
        names = [f"e{i}" for i in range(8)]
        for runs in ((1, 1), (2, 1), (1, 2), (3, 3)):
            base, cand = run_sides(names, runs=runs, slow={"e5": 2.0}, n=300)
            comparison = compare_runs([load_run(d, figures=False) for d in base],
                                      [load_run(d, figures=False) for d in cand])
            self.assertEqual(flagged(comparison), ["GET e5"], render_text(comparison))
            self.assertEqual(figure(comparison, "GET e5", "p50").verdict, REGRESSION)

    def test_geometric_means_agree_with_the_rows(self):
        comparison = compare_runs(*load_sides(slow={name: 1.03 for name in ENDPOINTS}))
        mean = comparison.geometric_means()["p50"]
        self.assertEqual((mean.rows, mean.regressions, mean.improvements), (len(ENDPOINTS), 0, 0))
        self.assertAlmostEqual(mean.ratio, 1.03, delta=0.01)
        self.assertIn("p50 1.0", render_text(comparison))
        self.assertIn("(no row changed beyond the noise and thresholds)", render_text(comparison))


class TestThroughput(unittest.TestCase):
    def compare(self, counts, *, users=4, shape="closed", runs=2):
        """Runs of endpoints a and b with (baseline, candidate) request counts."""
        sides = ([], [])
        for side in (0, 1):
            for run in range(runs):
                entries = [make_entry(name, latencies(5, pair[side], seed=side * 10 + run * 3 + i))
                           for i, (name, pair) in enumerate(counts.items())]
                sides[side].append(load_run(make_run_dir(locust={LOAD_TEST: make_stats(
                    *entries, users=users, shape=shape)}), figures=False))
        return compare_runs(*sides)

    def test_closed_loop_endpoint_rps_is_shown_not_judged(self):
        comparison = self.compare({"a": (2000, 1000), "b": (2000, 2000)}, users=40)
        self.assertEqual(figure(comparison, "GET a", "rps").verdict, NOT_JUDGED)
        total = figure(comparison, "all endpoints", "rps")
        # 4,000 -> 3,000 requests in 20 s with 40 users: 200 -> 267 ms per request
        self.assertAlmostEqual(total.floor_pair[0], 200.0)
        self.assertAlmostEqual(total.floor_pair[1], 800 / 3)
        self.assertEqual(total.verdict, REGRESSION)
        self.assertEqual(flagged(comparison), ["all endpoints"])
        single = self.compare({"a": (2000, 1000), "b": (2000, 2000)}, users=40, runs=1)
        self.assertEqual(figure(single, "all endpoints", "rps").verdict, NOT_JUDGED)

    def test_closed_loop_total_within_the_noise_floor(self):
        # 2 users at 200 requests/s: 10 ms per request; 25% fewer requests is +3.3 ms
        comparison = self.compare({"a": (4000, 3000)}, users=2)
        self.assertEqual(figure(comparison, "all endpoints", "rps").verdict, WITHIN)
        self.assertEqual(flagged(comparison), [])

    def test_open_shape_judges_every_rps(self):
        comparison = self.compare({"a": (2000, 1000), "b": (2000, 2000)}, shape="open")
        self.assertEqual(figure(comparison, "GET a", "rps").verdict, REGRESSION)
        self.assertEqual(figure(comparison, "GET b", "rps").verdict, WITHIN)
        self.assertEqual(flagged(comparison), ["GET a", "all endpoints"])


class TestOtherRows(unittest.TestCase):
    def test_metric_latency_level_regression_by_blocks_of_samples(self):
        runs = []
        for side in (0, 1):
            levels = {level: {"write": latencies(30, 128, seed=side * 10 + level) *
                              (2.0 if side and level == 4 else 1.0),
                              "visible": latencies(80, 128, seed=side * 10 + level + 5)}
                      for level in (1, 2, 4)}
            runs.append(load_run(make_run_dir(metrics={METRIC_TEST: make_op_hist(levels)}),
                                 figures=False))
        comparison = compare_runs(*runs)
        self.assertEqual(flagged(comparison), ["write @ concurrency 4"], render_text(comparison))
        self.assertEqual(figure(comparison, "write @ concurrency 4", "p50").judged_by, "blocks 10 vs 10")
        self.assertEqual(len(comparison.rows), 6)

    def test_sweep_steps_of_single_runs_are_judged_by_thresholds_over_runs_by_a_test(self):
        def run(p95):
            entry = make_entry("a", latencies(5, 50, seed=int(p95)))
            return load_run(make_run_dir(locust={LOAD_TEST: make_stats(entry, shape="steps", steps=[
                StepPoint(users=1, rps=100, p95_ms=10, num_requests=1000),
                StepPoint(users=8, rps=400, p95_ms=p95, num_requests=4000)])}), figures=False)
        single = compare_runs(run(40), run(60))
        steps = [r for r in single.rows if r.kind == "step"]
        self.assertEqual([r.name for r in steps], ["1 users", "8 users"])
        self.assertEqual(flagged(single), ["8 users"])
        self.assertEqual(steps[1].results[0].mode, THRESHOLDS_ONLY)
        repeated = compare_runs([run(40), run(41), run(39.5)], [run(60), run(61), run(59)])
        p95 = next(r for r in repeated.rows if r.name == "8 users").results[0]
        self.assertEqual((p95.judged_by, p95.verdict), ("runs 3 vs 3", REGRESSION))


class TestWhatItCouldSee(unittest.TestCase):
    def test_each_unchanged_figure_states_the_smallest_change_it_would_have_caught(self):
        comparison = compare_runs(*load_sides(runs=(3, 3), seed=1))
        p50 = figure(comparison, "GET get thing 00", "p50")
        size = smallest_caught(p50)
        # at least the thresholds (10 %, 5 ms of ~40 ms), and at least the noise measured
        self.assertGreaterEqual(size, max(1.10, 1 + 5.0 / p50.base))
        self.assertGreaterEqual(math.log(size), p50.outcome.noise * 0.999)
        text = render_text(comparison, show_all=True)
        self.assertRegex(text, r"\n  Smallest change the unchanged figures could have shown \(median "
                               r"over rows\): p50 1\.\d\dx \(largest [\d.]+x\)")
        self.assertIn("could catch", text)
        self.assertIn(caught_text(p50), text)
        fail = smallest_caught(figure(comparison, "GET get thing 00", "fail"))
        self.assertGreaterEqual(fail, comparison.thresholds.fail_floor)

    def test_runs_needed_per_class_from_the_noise_between_runs(self):
        comparison = compare_runs(*load_sides(runs=(3, 3), seed=1))
        lines = runs_needed(comparison, 0.2)
        self.assertEqual(lines[0], "Runs per side to catch a 20% change of p50 (80% power, "
                                   "alpha 0.05; noise between runs measured here):")
        self.assertRegex(lines[1], r"^  TestRO\.test: list \d+ \(noise ±\d+%\)$")
        # a smaller change needs more runs (the same noise)
        runs = lambda change: int(runs_needed(comparison, change)[1].split()[2])
        self.assertGreater(runs(0.01), runs(0.2))
        single = compare_runs(*load_sides())
        self.assertIn("unknown: the noise between runs needs two runs on a side",
                      runs_needed(single, 0.2)[0])


class TestToldPercentiles(unittest.TestCase):
    def test_a_percentile_from_too_few_samples_is_shown_as_a_dash_and_not_judged(self):
        comparison = compare_runs(*load_sides(n=60, slow={"get thing 01": 3.0}))
        p99, p95, p50 = (figure(comparison, "GET get thing 01", m) for m in ("p99", "p95", "p50"))
        self.assertEqual((p99.value("base"), p99.value("cand"), p99.verdict), ("-", "-", NOT_JUDGED))
        self.assertEqual(p99.note, "p99 needs 100 samples in every run (fewest: 60)")
        # 60 samples tell the run's p95, but no block of 6 tells its own: no test
        self.assertEqual((p95.verdict, p95.outcome.reason),
                         (NOT_TESTABLE, "too few blocks with requests (0 vs 0; a test needs 4)"))
        self.assertEqual(p50.verdict, REGRESSION)
        self.assertNotRegex(render_text(comparison, show_all=True), r"p99 +[\d.]+ ms")


class TestCompareResult(unittest.TestCase):
    def result(self, metric, base, cand, p=1e-9, mode=RUNS, **thresholds):
        outcome = TestOutcome(test="t", p_value=p, reason="", mode=mode, sizes=(3, 3))
        found = CompareResult(metric, base, cand, outcome, Thresholds(**thresholds))
        found.p_adjusted = p
        return found

    def test_verdicts(self):
        self.assertEqual(self.result("p95", 100, 111).verdict, REGRESSION)
        self.assertEqual(self.result("p95", 100, 109).verdict, WITHIN)
        self.assertEqual(self.result("p95", 100, 111, p=0.2).verdict, NOT_SIGNIFICANT)
        self.assertEqual(self.result("p95", 40, 44.5).verdict, WITHIN)      # 4.5 ms < 5 ms floor
        self.assertEqual(self.result("p99", 100, 115).verdict, WITHIN)      # over runs: x2
        self.assertEqual(self.result("p95", 100, 115, mode=BLOCKS).verdict, WITHIN)
        self.assertEqual(self.result("p95", 100, 125, p=0.01, mode=BLOCKS).verdict, NOT_SIGNIFICANT)
        self.assertEqual(self.result("rps", 100, 80).verdict, REGRESSION)   # fewer requests/s
        self.assertEqual(self.result("rps", 100, 120).verdict, IMPROVEMENT)
        self.assertEqual(self.result("fail", 0.0, 0.005).verdict, WITHIN)   # under 1 point
        self.assertEqual(self.result("fail", 0.0, 0.02).verdict, REGRESSION)

    def test_a_figure_moving_against_its_test_is_not_a_change(self):
        found = CompareResult("p50", 80.0, 50.0, TestOutcome(test="t", p_value=1e-9, reason="",
                                                             direction=1, mode=RUNS), Thresholds())
        found.p_adjusted = 1e-9
        self.assertEqual(found.verdict, NOT_SIGNIFICANT)
        found.outcome = TestOutcome(test="t", p_value=1e-9, reason="", direction=-1, mode=RUNS)
        self.assertEqual(found.verdict, IMPROVEMENT)

    def test_wording_and_noise(self):
        self.assertEqual(self.result("p50", 10, 12.3).wording, "1.23x slower")
        self.assertEqual(self.result("p50", 12.3, 10).wording, "1.23x faster")
        self.assertEqual(self.result("rps", 100, 80).wording, "1.25x slower")
        self.assertEqual(self.result("p99", 10, 10).wording, "same")
        self.assertTrue(math.isinf(self.result("fail", 0.0, 0.1).ratio))
        found = CompareResult("p50", 10, 12, TestOutcome(p_value=0.1, reason="", mode=RUNS,
                                                         noise=math.log(1.25)), Thresholds())
        self.assertEqual(found.noise_text, "±25.0%")

    def test_thresholds_are_checked(self):
        for bad in ({"alpha": 0}, {"alpha": 1.5}, {"min_change": -0.1}, {"noise_floor_ms": math.nan}):
            with self.assertRaises(ValueError, msg=bad):
                Thresholds(**bad)
