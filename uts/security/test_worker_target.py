"""A daist Locust worker logs in only to the Determined master it was started for (``--target``
or its own DET_MASTER): a Locust master that asks for load against another URL is refused with
one clear line, and the worker's password reaches no server at all."""
import unittest

from daist.rest_api.user import same_master
from daist.standin.launcher import StandinProcess
from uts.harness import remove_results
from uts.rest_api.fake_master import FakeMaster
from uts.rest_api.loadruns import (MODULE, PASSWORD, free_port, run_with_remote_worker,
                                   start_worker)

WORKER_SECRET = "worker-only-secret-7f3a"


class TestSameMaster(unittest.TestCase):
    def test_urls_naming_one_server(self):
        self.assertTrue(same_master("http://Det:8080/", "http://det:8080"))
        self.assertTrue(same_master("https://det", "https://det:443/"))
        self.assertFalse(same_master("http://det:8080", "http://det:8081"))
        self.assertFalse(same_master("http://det:8080", "https://det:8080"))
        self.assertFalse(same_master("http://det:8080", "http://evil:8080"))
        self.assertFalse(same_master("http://det:8080/a", "http://det:8080/b"))
        self.assertFalse(same_master("http://det:x", "http://det:8080"))


class TestWorkerTarget(unittest.TestCase):
    def test_a_worker_without_a_target_refuses_to_start(self):
        for module in ("daist.worker", "daist.rest_api.worker"):  # the command and its alias
            with self.subTest(module=module):
                worker = start_worker(free_port(), module=module,
                                      env={"DET_PASSWORD": WORKER_SECRET})
                _, stderr = worker.communicate(timeout=60)
                self.assertEqual(worker.returncode, 2)
                self.assertIn("needs --target URL or DET_MASTER", stderr)
                self.assertIn(f"usage: python -m {module}", stderr)

    def test_a_master_pointing_elsewhere_is_refused_and_gets_no_password(self):
        standin = StandinProcess(scale=10, passwords={"admin": PASSWORD})
        url = standin.start()
        self.addCleanup(standin.stop)
        own = FakeMaster()                  # the worker's own target: it must not be used either
        own_url = own.start()
        self.addCleanup(own.stop)
        run, worker, worker_err = run_with_remote_worker(url, lambda port: start_worker(
            port, "--target", own_url, env={"DET_USER": "admin", "DET_PASSWORD": WORKER_SECRET}),
            worker_wait=60)
        self.addCleanup(remove_results, run)
        self.assertEqual(worker.returncode, 2, worker_err)
        self.assertIn(f"daist worker: error: the Locust master asks for load against {url}, but "
                      f"this worker logs in only to {own_url} (--target or DET_MASTER)", worker_err)
        self.assertEqual(own.requests, [])              # nothing went to its own target
        self.assertNotIn(WORKER_SECRET, run.output + worker_err)
        # the run fails, naming the worker it lost; its manifest is valid
        self.assertEqual(run.returncode, 1, run.output)
        record = run.result.tests[f"{MODULE}.TestRO.test"]
        self.assertEqual(record.status, "failed")
        self.assertRegex(record.message, r"^1 of 1 Locust workers stopped reporting during the "
                                         rf"load: \S+ pid {worker.pid} \(")
        self.assertNotEqual(PASSWORD, WORKER_SECRET)


if __name__ == "__main__":
    unittest.main()
