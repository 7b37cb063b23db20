"""Helpers of the metric-latency run tests: a stand-in master per test class, its faults and
trial processes, a daist run watched line by line, and the artifacts it wrote."""
from __future__ import annotations

import queue
import re
import subprocess
import threading
import time
import unittest
from pathlib import Path

from daist.framework.master_client import MasterClient
from daist.models.base import Artifact
from daist.models.metric_latency import MetricLatencySweep
from daist.models.result import Result
from daist.standin.launcher import StandinProcess
from uts.harness import DaistRun, results_dir_of, start_daist
from uts.rest_api.loadruns import set_faults

MODULE = "daist.metrics.test_latency"
TEST_ID = f"{MODULE}.Test.test"
SMALL = {"DAIST_METRICS_CONCURRENCY": "1,2", "DAIST_METRICS_NUM_BATCHES": "6",
         "DAIST_METRICS_METRIC_COUNT": "8", "DAIST_METRICS_READS": "2",
         "DAIST_LOG_STDOUT_LEVEL": "INFO"}
METRICS_POST = r"^/api/v1/trials/\d+/metrics$"


class WatchedRun:
    """A ``python -m daist`` subprocess whose output is read as it comes."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process, self.output_root = start_daist(*args, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(stream, sink), daemon=True)
                         for stream, sink in ((self.process.stdout, self.stdout),
                                              (self.process.stderr, self.stderr))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str, *, timeout: float) -> str:
        """The first output line matching ``pattern``; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no output line matched {pattern!r} within {timeout} s:\n"
                             f"{''.join(self.stdout)}{''.join(self.stderr)}")

    def finish(self, *, timeout: float) -> DaistRun:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"daist did not end within {timeout} s:\n{''.join(self.stdout)}"
                                 f"{''.join(self.stderr)}")
        for reader in self._readers:
            reader.join(10)
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()
        stdout = "".join(self.stdout)
        return DaistRun(self.process.returncode, stdout, "".join(self.stderr),
                        results_dir_of(stdout))


class StandinCase(unittest.TestCase):
    """A stand-in master shared by the class's tests (``self.url``); faults are cleared before
    each test."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.standin = StandinProcess(scale=10)
        cls.url = cls.standin.start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.standin.stop()
        super().tearDownClass()

    def setUp(self) -> None:
        self.set_faults([])

    def set_faults(self, rules: list[dict]) -> None:
        set_faults(self.url, rules, password="")  # this stand-in sets no password

    def env(self, **extra: str) -> dict[str, str]:
        return {"DET_MASTER": self.url, **SMALL, **extra}

    def experiment_state(self, experiment_id: int) -> str:
        with MasterClient(self.url) as api:
            api.login("admin", "")
            return api.get(f"/api/v1/experiments/{experiment_id}")["experiment"]["state"]

    def wait_for_state(self, experiment_id: int, states: tuple[str, ...], *,
                       timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            state = self.experiment_state(experiment_id)
            if state in states:
                break
            time.sleep(0.2)
        return state

    def assert_no_trial_processes(self, *, within: float = 10) -> None:
        deadline = time.monotonic() + within
        while trial_processes(self.standin.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(trial_processes(self.standin.pid), [])


def trial_processes(standin_pid: int | None) -> list[int]:
    """Live processes the stand-in started for trials (they carry its pid in their env)."""
    marker = f"DAIST_STANDIN_PID={standin_pid}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def experiment_ids(text: str) -> list[int]:
    return [int(x) for x in re.findall(r": experiment (\d+), ", text)]


def artifact(result: Result, classname: str, *, test_id: str = TEST_ID) -> Artifact:
    """The one JSON artifact of ``classname`` the test wrote."""
    paths = [p for p in result.files_of(classname, test_id=test_id) if p.suffix == ".json"]
    if len(paths) != 1:
        raise AssertionError(f"expected one {classname} of {test_id}, found {paths}")
    return Artifact.open(paths[0])


def sweep_of(result: Result, *, test_id: str = TEST_ID) -> MetricLatencySweep:
    sweep = artifact(result, "MetricLatencySweep", test_id=test_id)
    assert isinstance(sweep, MetricLatencySweep)
    return sweep
