"""Unmanaged metric tests on Locust's master/worker engine (daist.engine), as the load tests run:
2 local workers, 1 remote worker over loopback (``python -m daist.worker``), and a worker killed
mid-level. The stand-in counts the reports itself (its stored training workloads per trial)."""
import re
import signal
import unittest

import psutil

from daist.framework.master_client import MasterClient
from daist.models import serde
from uts.harness import DaistRun, remove_results, run_daist
from uts.metrics.support import MODULE, TEST_ID, StandinCase, WatchedRun, sweep_of
from uts.rest_api.loadruns import command_line, finish_with_worker, free_port, start_worker

LEVEL = 4
REPORTS = 3
STALL_S = 8  # Locust counts a worker missing after 3 missed 1 s heartbeats


def unmanaged(url: str, **extra: str) -> dict[str, str]:
    return {"DET_MASTER": url, "DAIST_METRICS_TRIALS": "unmanaged",
            "DAIST_METRICS_CONCURRENCY": str(LEVEL), "DAIST_METRICS_NUM_BATCHES": str(REPORTS),
            "DAIST_METRICS_METRIC_COUNT": "4", "DAIST_METRICS_READS": "1",
            "DAIST_LOG_STDOUT_LEVEL": "INFO", **extra}


def stored_training_steps(api: MasterClient, trial_id: int) -> list[int]:
    """The training reports the stand-in stored for a trial, by their step, as it holds them."""
    answer = api.get(f"/api/v1/trials/{trial_id}/workloads", filter="FILTER_OPTION_UNSPECIFIED",
                     limit=1000)
    return sorted(int(w["training"]["totalBatches"]) for w in answer["workloads"]
                  if "training" in w)


def series_shape(run: DaistRun) -> dict:
    """The keys of the sweep's data and of its generator check: the artifacts' format."""
    (series,) = sweep_of(run.result).series
    data = serde.to_data(series)
    return {"series": sorted(data), "generator": sorted(data["generator"]),
            "files": sorted({str(meta.classname) for meta in run.result.files.values()})}


class WorkerRunChecks(StandinCase):
    reference: DaistRun

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reference = run_daist(f"{MODULE}.Test", timeout=180, env=unmanaged(cls.url))

    @classmethod
    def tearDownClass(cls):
        remove_results(cls.reference)
        super().tearDownClass()

    def check_every_report_once(self, run: DaistRun, *, workers: int) -> None:
        self.assertEqual(run.returncode, 0, run.output)
        self.assertEqual(run.result.tests[TEST_ID].status, "passed")
        (series,) = sweep_of(run.result).series
        self.assertEqual(len(series.observations), LEVEL * REPORTS)
        self.assertEqual(len(series.trial_ids), LEVEL)
        self.assertEqual(series.missing_reports(), {})
        check = series.generator
        self.assertEqual(check.workers, workers)
        self.assertEqual(len(check.workers_reported), workers)
        self.assertEqual(check.reports_sent, LEVEL * REPORTS)  # merged exactly at the master
        self.assertEqual(sorted(u.role for u in check.usage), ["master"] + ["worker"] * workers)
        self.assertEqual(sorted(f"{u.host} pid {u.pid}" for u in check.usage
                                if u.role == "worker"), sorted(check.workers_reported))
        with MasterClient(self.url) as api:
            api.login("admin", "")
            generators = set()
            for trial_id in series.trial_ids:
                self.assertEqual(stored_training_steps(api, trial_id),
                                 list(range(1, REPORTS + 1)), f"trial {trial_id}")
                trial = api.get(f"/api/v1/trials/{trial_id}")["trial"]
                self.assertEqual(trial["state"], "STATE_COMPLETED")
                generators.add(trial["hparams"]["generator"])
        self.assertEqual(generators, set(check.workers_reported))  # every worker drove trials
        self.assertEqual(series_shape(run), series_shape(self.reference))


class TestLocalWorkers(WorkerRunChecks):
    def test_two_local_workers_drive_every_trial_once(self):
        run = run_daist(f"{MODULE}.Test", timeout=240,
                        env=unmanaged(self.url, DAIST_LOCUST_WORKERS="2"))
        self.addCleanup(remove_results, run)
        self.check_every_report_once(run, workers=2)

    def test_a_worker_late_after_every_trial_started_is_waited_for_and_invalidates_the_level(self):
        run = run_daist(f"{MODULE}.Test", timeout=240, env=unmanaged(
            self.url, DAIST_LOCUST_WORKERS="2", DAIST_FAULT_WORKER_STALL_S=str(STALL_S),
            DAIST_METRICS_THINK_TIME="1"))  # its trials still run when the master says all started
        self.addCleanup(remove_results, run)
        self.check_every_report_once(run, workers=2)  # the level ran to its end, each trial once
        (series,) = sweep_of(run.result).series
        check = series.generator
        stalled = [u for u in check.usage if u.loop_lag_max_ms >= (STALL_S - 0.2) * 1000]
        self.assertEqual([u.role for u in stalled], ["worker"], check.usage)
        self.assertFalse(check.valid)
        self.assertIn(f"pid {stalled[0].pid}", check.reason)
        self.assertIn("its event loop stalled", check.reason)

    def test_a_remote_worker_over_loopback(self):
        port = free_port()
        watched = WatchedRun(f"{MODULE}.Test", env=unmanaged(
            self.url, DAIST_LOCUST_REMOTE_WORKERS="1",
            DAIST_LOCUST_MASTER_BIND=f"127.0.0.1:{port}"))
        watched.wait_for(r"waiting for 1 remote worker", timeout=120)
        worker = start_worker(port, "--target", self.url,
                              env={"DET_USER": "admin", "DET_PASSWORD": ""})
        try:
            run = watched.finish(timeout=240)
            _, worker_log = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
        self.addCleanup(remove_results, run)
        self.assertEqual(worker.returncode, 0, worker_log)
        self.check_every_report_once(run, workers=1)


class TestLostWorker(StandinCase):
    def test_a_worker_killed_mid_level_fails_the_test_naming_it(self):
        watched = WatchedRun(f"{MODULE}.Test", env=unmanaged(
            self.url, DAIST_LOCUST_WORKERS="2", DAIST_METRICS_NUM_BATCHES="10000",
            DAIST_METRICS_THINK_TIME="0.05"))
        line = watched.wait_for(r"unmanaged experiment \d+", timeout=120)
        experiment_id = int(re.search(r"unmanaged experiment (\d+)", line)[1])
        with MasterClient(self.url) as api:
            api.login("admin", "")
            self.wait_until(lambda: len(api.get(f"/api/v1/experiments/{experiment_id}/trials")
                                        ["trials"]) == LEVEL, what="every trial made")
        workers = [c for c in psutil.Process(watched.process.pid).children(recursive=True)
                   if "-m daist.worker" in command_line(c)]
        self.assertEqual(len(workers), 2)
        victim = workers[0]
        victim.send_signal(signal.SIGKILL)
        run = watched.finish(timeout=120)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 1, run.output)
        record = run.result.tests[TEST_ID]
        self.assertEqual(record.status, "failed")
        self.assertRegex(record.message, rf"^concurrency {LEVEL}: 1 of 2 Locust workers stopped "
                                         rf"reporting during the load: \S+ pid {victim.pid} ")
        with MasterClient(self.url) as api:  # no trial is left RUNNING
            api.login("admin", "")
            trials = api.get(f"/api/v1/experiments/{experiment_id}/trials")["trials"]
        self.assertNotIn("STATE_RUNNING", {t["state"] for t in trials})

    def wait_until(self, done, *, what: str, timeout: float = 90) -> None:
        import time

        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                self.fail(f"{what}: not within {timeout} s")
            time.sleep(0.2)


if __name__ == "__main__":
    unittest.main()
