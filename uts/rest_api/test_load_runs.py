"""Whole Locust load tests of daist (subprocess runs of a few seconds) against the stand-in:
artifacts, exact percentiles, load shapes and worker processes."""
from __future__ import annotations

import csv
import socket
import tempfile
import unittest
from collections import defaultdict
from pathlib import Path

import requests

from daist.models.base import Figure, open_artifact
from daist.models.db import PerfTestRun
from daist.models.percentiles import told_or_none
from daist.models.history import LocustStatsHistory
from daist.models.limits import Limits
from daist.models.evidence import ServerTiming
from daist.models.report import LimitViolations
from daist.models.locust import (LocustCsv, LocustReport, LocustSamples, LocustStatsList,
                                 ResourceProfile)
from daist.framework import paths
from uts.harness import StandinTestCase, remove_results, run_daist
from daist.rest_api.sweep import knee_index
from uts.rest_api.factories import nearest_rank
from uts.rest_api.loadruns import (MODULE, NO_P95, PASSWORD, alive, case_id, load_env, run_load_test,
                                   run_with_remote_worker, set_faults, start_worker, stats_of)

EXPECTED_CLASSES = {"LocustStatsList": LocustStatsList, "PerfTestRun": PerfTestRun,
                    "LocustCsv": LocustCsv, "LocustReport": LocustReport,
                    "ResourceProfile": ResourceProfile, "LocustSamples": LocustSamples,
                    "LocustStatsHistory": LocustStatsHistory, "LimitViolations": LimitViolations,
                    "ServerTiming": ServerTiming,  # the stand-in serves the master's metrics
                    "Limits": Limits}  # the limits the verdict used, which the report reads


class TestReadOnlyEndToEnd(unittest.TestCase):
    """The README's main command: TestRO against the embedded stand-in, nothing set up."""

    @classmethod
    def setUpClass(cls):
        cls.load = run_load_test("TestRO", samples="true")
        cls.addClassCleanup(remove_results, cls.load)

    def test_passes_and_records_every_artifact(self):
        self.assertEqual(self.load.returncode, 0, self.load.output)
        self.assertRegex(self.load.output, r"\[TestRO\.test\] \d\d:\d\d elapsed, \d\d:\d\d left"
                                           r" \| users \d+ \| rps [\d.,]+ \| failures \d+ \| p95 ms")
        self.assertRegex(self.load.output, r"\[TestRO\.test\] .* \| users 4 \| requests [1-9]\d* \| "
                                           r"failures \d+ \| done")
        result = self.load.result
        self.assertEqual(result.tests[case_id("TestRO")].status, "passed")
        mine = {rel: meta for rel, meta in result.files.items()
                if meta.test_id == case_id("TestRO")}
        self.assertEqual({meta.classname for meta in mine.values()}, set(EXPECTED_CLASSES))
        self.assertEqual(sum(m.classname == "LocustCsv" for m in mine.values()), 2)
        for rel, meta in mine.items():
            artifact = open_artifact(self.load.results_dir / rel)
            self.assertIsInstance(artifact, EXPECTED_CLASSES[meta.classname], rel)

    def test_stats_cover_the_catalogue_with_historical_names(self):
        stats = stats_of(self.load, "TestRO")
        self.assertFalse(stats.run.interrupted)
        self.assertEqual((stats.run.plan.shape.name, stats.run.plan.shape.users), ("closed", 4))
        self.assertAlmostEqual(stats.run.window_s, 3.0, delta=1.0)  # a stall may delay the stop
        self.assertGreater(len(stats.entries), 40)
        entry = stats.entry("get experiments")
        self.assertEqual((entry.path, entry.endpoint_class), ("/api/v1/experiments", "list"))
        self.assertEqual(entry.num_failures, 0)
        self.assertEqual(entry.hdr.count, entry.num_requests)
        self.assertGreater(entry.locust.num_requests, 0)
        self.assertFalse(any(e.test_name.startswith("/") for e in stats.entries))  # never URLs
        generator = stats.run.generator
        self.assertEqual([g.role for g in generator], ["local"])
        self.assertGreater(generator[0].cpu_percent, 0)
        self.assertGreater(generator[0].rss_mb, 10)
        perf = open_artifact(self.load.result.files_of("PerfTestRun")[0])
        rows = {row.test_name: row for row in perf.tests}
        self.assertEqual(set(rows), {e.test_name for e in stats.entries if e.num_requests})
        self.assertEqual(rows["get experiments"].passes, entry.num_requests)
        # a busy machine may send fewer than the 20 requests a p95 needs: then no p95 (NULL)
        self.assertEqual(rows["get experiments"].p95,
                         told_or_none(entry.hdr.p95_ms, "p95", entry.hdr.count))

    def test_history_covers_the_run_and_sums_to_its_request_count(self):
        stats = stats_of(self.load, "TestRO")
        json_path, csv_path = sorted(self.load.result.files_of("LocustStatsHistory"),
                                     key=lambda p: p.suffix != ".json")
        history = LocustStatsHistory.open(json_path)
        self.assertEqual(history.num_in_window, stats.num_requests)
        self.assertGreaterEqual(history.num_requests, stats.num_requests)  # + warm-up
        self.assertLessEqual(history.intervals[0].t_s, history.window_start_s)
        last = history.intervals[-1]
        self.assertGreaterEqual(last.t_s + last.length_s, history.window_end_s)
        self.assertLessEqual(history.warmup_start_s, history.window_start_s)
        # contiguous, no gap: each interval ends where the next begins (the first begins at the
        # first request, so it may be shorter)
        for a, b in zip(history.intervals, history.intervals[1:]):
            self.assertAlmostEqual(a.t_s + a.length_s, b.t_s, places=3)
        self.assertLessEqual({i.length_s for i in history.intervals[1:-1]}, {history.interval_s})
        self.assertEqual(max(i.users for i in history.intervals), 4)
        by_class = sum(f.requests for i in history.intervals for name, f in i.scopes.items()
                       if name != "all")
        self.assertEqual(by_class, history.num_requests)
        spreadsheet = LocustStatsHistory.open(csv_path)
        self.assertEqual(spreadsheet.intervals, history.intervals)

    def test_hdr_percentiles_match_the_recorded_samples(self):
        stats = stats_of(self.load, "TestRO")
        (samples_path,) = self.load.result.files_of("LocustSamples")
        latencies: dict[str, list[float]] = defaultdict(list)
        with samples_path.open() as handle:
            for row in csv.DictReader(handle):
                latencies[row["test_name"]].append(float(row["latency_ms"]))
        self.assertEqual(sum(map(len, latencies.values())), stats.num_requests)
        # every endpoint the random mix reached, however few its samples: HDR and the exact
        # percentile share one rank rule, so they agree within HDR's 3 significant digits
        reached = [e for e in stats.entries if e.num_requests]
        self.assertTrue(reached)
        for entry in stats.entries:
            values = latencies.get(entry.test_name, [])
            self.assertEqual(len(values), entry.hdr.count, entry.test_name)
        for entry in reached:
            values = latencies[entry.test_name]
            for key, p in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99)):
                exact = nearest_rank(values, p)
                self.assertLessEqual(abs(entry.hdr.percentile(key) - exact), exact * 0.01,
                                     f"{entry.test_name} {key} of {len(values)}")


class TestShapesAndWorkers(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def tearDown(self):
        set_faults(self.url, [])

    def test_open_loop_holds_the_rate(self):
        # 16 users for 80 req/s: each has 200 ms per request, so the schedule holds on a machine
        # that is busy with other work too (4 users left 50 ms)
        run = run_load_test("TestRO", url=self.url, shape="open", rate=80, users=16, run_time=4,
                            warmup=1)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        stats = stats_of(run, "TestRO")
        self.assertEqual((stats.run.plan.shape.name, stats.run.plan.shape.rate), ("open", 80.0))
        # 15%: a stall of the machine near the window's end leaves its backlog outside the
        # window; a pacer that does not hold the rate is off by far more (closed loop: 10x)
        self.assertLess(abs(stats.rps - 80) / 80, 0.15, f"{stats.rps:.1f} req/s")

    def test_open_loop_counts_queueing_of_a_slow_server(self):
        """2 users, 100 ms per request: 20 req/s capacity against 40 req/s intended. Latency
        measured from the intended send time grows; Locust's own (from the send) does not."""
        set_faults(self.url, [{"path": "^/api/v1/", "unless": "^/api/v1/auth",
                                "latency_ms": 100}])
        run = run_load_test("TestRO", url=self.url, shape="open", rate=40, users=2, run_time=4,
                            p95_ms=NO_P95)
        self.addCleanup(remove_results, run)
        stats = stats_of(run, "TestRO")
        total = stats.total()
        locust_median = total.locust.total_response_time / total.locust.num_requests
        self.assertGreater(total.hdr.p50_ms, 3 * locust_median, (total.hdr, locust_median))
        self.assertGreater(stats.run.late_sends, 0)

    def test_two_worker_processes_are_aggregated(self):
        run = run_load_test("TestRO", url=self.url, workers=2)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        stats = stats_of(run, "TestRO")
        roles = sorted(g.role for g in stats.run.generator)
        self.assertEqual(roles, ["master", "worker", "worker"])
        workers = [g for g in stats.run.generator if g.role == "worker"]
        self.assertTrue(all(g.cpu_percent > 0 for g in workers), workers)
        self.assertEqual(stats.run.plan.workers, 2)
        self.assertEqual(sorted(stats.run.workers_reported),
                         sorted(f"{g.host} pid {g.pid}" for g in workers))
        self.assertGreater(stats.num_requests, 100)
        for entry in stats.entries:
            self.assertEqual(entry.hdr.count, entry.num_requests, entry.test_name)
        locust_total = sum(e.locust.num_requests for e in stats.entries)
        self.assertAlmostEqual(locust_total, stats.num_requests, delta=stats.num_requests * 0.1)
        (history,) = [p for p in run.result.files_of("LocustStatsHistory") if p.suffix == ".json"]
        self.assertEqual(LocustStatsHistory.open(history).num_in_window, stats.num_requests)
        self.assertEqual(alive([g.pid for g in workers]), [])        # no orphans

    def test_a_remote_worker_joins_with_the_documented_command(self):
        run, worker, worker_log = run_with_remote_worker(self.url, lambda port: start_worker(
            port, env={"DET_USER": "admin", "DET_PASSWORD": PASSWORD, "DET_MASTER": self.url}))
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output + worker_log)
        self.assertEqual(worker.returncode, 0, worker_log)
        stats = stats_of(run, "TestRO")
        self.assertEqual(stats.run.plan.workers, 1)
        self.assertGreater(stats.num_requests, 100)
        # the remote worker reports its own usage
        self.assertEqual([g.role for g in stats.run.generator], ["master", "worker"])
        self.assertEqual(stats.run.workers_reported, [f"{socket.gethostname()} pid {worker.pid}"])
        self.assertGreater(stats.run.generator[1].cpu_percent, 0)

    def test_scaling_sweep(self):
        run = run_load_test("TestScaling", url=self.url, steps="1,3", step_time=1.5)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        stats = stats_of(run, "TestScaling")
        self.assertEqual([s.users for s in stats.steps], [1, 3])
        knee = knee_index([s.users for s in stats.steps], [s.rps for s in stats.steps])
        self.assertEqual([s.knee for s in stats.steps], [i == knee for i in range(2)])  # at most one
        self.assertTrue(all(s.num_requests > 0 and s.p95_ms > 0 for s in stats.steps))
        (png,) = [p for p in run.result.files_of("LocustStatsList", test_id=case_id("TestScaling"))
                  if p.suffix == ".png"]
        self.assertIsInstance(open_artifact(png), Figure)

    def test_fixed_profile_from_the_configuration(self):
        experiments = requests.get(self.url + "/api/v1/experiments", timeout=10,
                                   headers=self.auth()).json()["experiments"]
        experiment_id = experiments[0]["id"]
        config = Path(tempfile.mkdtemp(prefix="daist-profile-")) / "config.conf"
        config.write_text(paths.DEFAULT_CONFIG.read_text()
                          + f"\n[profile.uts]\nexperiment_id = {experiment_id}\n")
        env = load_env(self.url)
        env.update({"DAIST_CONFIG": str(config), "DAIST_DETERMINED_RESOURCE_PROFILE": "uts"})
        run = run_daist(f"{MODULE}.TestExperimentCheckpoints", env=env, timeout=120)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        (profile_path,) = run.result.files_of("ResourceProfile")
        profile = open_artifact(profile_path)
        self.assertEqual((profile.source, profile.experiment_id, profile.trial_id),
                         ("uts", experiment_id, None))
        stats = stats_of(run, "TestExperimentCheckpoints")
        self.assertEqual([e.test_name for e in stats.entries if e.num_requests],
                         ["get experiment checkpoints"])

    def auth(self) -> dict[str, str]:
        token = requests.post(self.url + "/api/v1/auth/login", timeout=10,
                              json={"username": "admin", "password": PASSWORD}).json()["token"]
        return {"Authorization": f"Bearer {token}"}

    def test_bad_combination_is_one_line_naming_the_keys(self):
        run = run_load_test("TestRO", url=self.url, shape="open")
        self.assertEqual(run.returncode, 2, run.output)  # refused before anything started
        self.assertEqual(run.stderr, "daist: error: [locust] shape = open needs rate > 0 (requests/s)\n")
        self.assertIsNone(run.results_dir)


if __name__ == "__main__":
    unittest.main()
