"""A daist Locust worker logs in only to the Determined master it was started for (``--target``
or its own DET_MASTER): a Locust master that asks for load against another URL is refused with
one clear line, and the worker's password reaches no server at all."""
import subprocess
import sys
import unittest

from daist.framework import paths
from daist.rest_api.user import same_master
from daist.standin.launcher import StandinProcess
from uts.harness import clean_environment, remove_results, start_daist
from uts.rest_api.fake_master import FakeMaster
from uts.rest_api.loadruns import MODULE, PASSWORD, finish_with_worker, free_port, load_env

WORKER_SECRET = "worker-only-secret-7f3a"


def start_worker(port: int, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "daist.rest_api.worker", "--master",
                             f"127.0.0.1:{port}", *args], env=clean_environment(env),
                            cwd=paths.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


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
        worker = start_worker(free_port(), env={"DET_PASSWORD": WORKER_SECRET})
        _, stderr = worker.communicate(timeout=60)
        self.assertEqual(worker.returncode, 2)
        self.assertIn("needs --target URL or DET_MASTER", stderr)

    def test_a_master_pointing_elsewhere_is_refused_and_gets_no_password(self):
        standin = StandinProcess(scale=10, passwords={"admin": PASSWORD})
        url = standin.start()
        self.addCleanup(standin.stop)
        own = FakeMaster()                  # the worker's own target: it must not be used either
        own_url = own.start()
        self.addCleanup(own.stop)
        port = free_port()
        process, _ = start_daist(f"{MODULE}.TestRO", env=load_env(
            url, remote_workers=1, master_bind=f"127.0.0.1:{port}", worker_wait=60))
        worker = start_worker(port, "--target", own_url,
                              env={"DET_USER": "admin", "DET_PASSWORD": WORKER_SECRET})
        run, worker_err = finish_with_worker(process, worker)
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
