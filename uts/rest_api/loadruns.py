"""Helpers of the load-test runs in uts/rest_api: run a Locust TestCase of daist as a
subprocess against a stand-in, and read back what it saved."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import Callable

import psutil
import requests

from daist.framework import paths
from daist.models.base import open_artifact
from daist.models.db import PerfTestRun
from daist.models.locust import LocustStatsList
from daist.standin.launcher import control_headers
from uts.harness import DaistRun, clean_environment, results_dir_of, run_daist, start_daist

MODULE = "daist.rest_api.test_locust"
PASSWORD = "uts-pw"
NO_P95 = "3600000"
"""The largest p95 limit, an hour: none a run of seconds can break. The environment cannot lift
a limit (an empty variable is unset, and 0 is refused), so the uts runs set this."""
SHORT = {"DAIST_LOCUST_RUN_TIME": "3", "DAIST_LOCUST_USERS": "4", "DAIST_LOCUST_SPAWN_RATE": "20",
         "DAIST_LOCUST_STOP_TIMEOUT": "2", "DAIST_LOCUST_REQUEST_TIMEOUT": "5",
         # no p95 limit unless a test sets one: endpoints with a handful of samples have a p95
         # near their slowest, and one stall of a busy machine would add a broken limit
         "DAIST_LOCUST_P95_MS": NO_P95, "DET_PASSWORD": PASSWORD}


def load_env(url: str | None = None, **settings: object) -> dict[str, str]:
    env = dict(SHORT)
    if url:
        env["DET_MASTER"] = url
    env.update({f"DAIST_LOCUST_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def run_load_test(name: str, *, url: str | None = None, timeout: float = 180,
                  **settings: object) -> DaistRun:
    return run_daist(f"{MODULE}.{name}", env=load_env(url, **settings), timeout=timeout)


def interrupt_load_test(url: str, name: str, signum: int, *, users: int = 4,
                        happened: tuple[str, Callable[[], bool]] | None = None,
                        **settings: object) -> DaistRun:
    """Start a long load test, wait until every user logged in and the window is open (and
    ``happened``: what, and a check of it), then send ``signum``; returns the finished run
    (the caller removes its results)."""
    expire_tokens(url)
    process, _ = start_daist(f"{MODULE}.{name}",
                             env=load_env(url, users=users, run_time=60, **settings))
    try:
        wait_for(users_logged_in(url, users), timeout=60, what="the users' logins",
                 process=process)
        if happened is not None:
            what, check = happened
            wait_for(check, timeout=60, what=what, process=process)
        time.sleep(1.5)  # inside the measured window
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return DaistRun(process.returncode, stdout, stderr, results_dir_of(stdout))


def finish_with_worker(process: subprocess.Popen, worker: subprocess.Popen, *,
                       timeout: float = 120) -> tuple[DaistRun, str]:
    """Wait for a daist run and a worker started for it (it exits when the master quits);
    kill whichever is left. Returns the run and the worker's stderr."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        _, worker_log = worker.communicate(timeout=30)
    finally:
        for child in (process, worker):
            if child.poll() is None:
                child.kill()
                child.communicate()
    return DaistRun(process.returncode, stdout, stderr, results_dir_of(stdout)), worker_log


def start_worker(port: int, *args: str, module: str = "daist.worker",
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    """A Locust worker process (``python -m module --master 127.0.0.1:port args``) with a clean
    environment plus ``env``; its stderr is kept for the test."""
    return subprocess.Popen([sys.executable, "-m", module, "--master", f"127.0.0.1:{port}", *args],
                            env=clean_environment(env), cwd=paths.ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_with_remote_worker(url: str, start: Callable[[int], subprocess.Popen],
                           **settings: object) -> tuple[DaistRun, subprocess.Popen, str]:
    """TestRO against ``url`` with one remote worker, which ``start(port)`` starts for the
    master's free port; returns the finished run, the worker and its stderr."""
    port = free_port()
    process, _ = start_daist(f"{MODULE}.TestRO", env=load_env(
        url, remote_workers=1, master_bind=f"127.0.0.1:{port}", **settings))
    worker = start(port)
    run, worker_log = finish_with_worker(process, worker)
    return run, worker, worker_log


def case_id(name: str) -> str:
    return f"{MODULE}.{name}.test"


def stats_of(run: DaistRun, name: str) -> LocustStatsList:
    paths = [p for p in run.result.files_of("LocustStatsList", test_id=case_id(name))
             if p.suffix == ".json"]
    if len(paths) != 1:
        raise AssertionError(f"expected one LocustStatsList JSON, found {paths}:\n{run.output}")
    return LocustStatsList.open(paths[0])


def perf_run_of(run: DaistRun, name: str) -> PerfTestRun:
    (path,) = run.result.files_of("PerfTestRun", test_id=case_id(name))
    artifact = open_artifact(path)
    assert isinstance(artifact, PerfTestRun)
    return artifact


def counts(url: str) -> dict[str, int]:
    return requests.get(url + "/standin/counts", timeout=10).json()


def set_faults(url: str, rules: list[dict], *, password: str = PASSWORD) -> None:
    """Replace the fault rules (a control call: logs in as admin with ``password``)."""
    response = requests.put(url + "/standin/faults", json={"rules": rules}, timeout=10,
                            headers=control_headers(url, password=password))
    response.raise_for_status()


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str,
             process: subprocess.Popen | None = None) -> None:
    """Poll ``predicate`` until ``timeout``; with the daist ``process`` that should bring it
    about, its exit ends the wait at once, and either failure shows what the run printed."""
    deadline = time.monotonic() + timeout
    while not predicate():
        ended = process is not None and process.poll() is not None
        if ended or time.monotonic() > deadline:
            why = (f"daist exited with status {process.returncode}" if ended
                   else f"timed out after {timeout:g} s")
            raise AssertionError(f"{why} waiting for {what}{output_of(process)}")
        time.sleep(0.1)


def output_of(process: subprocess.Popen | None) -> str:
    """What a started daist run printed so far (it is killed first if still running)."""
    if process is None:
        return ""
    if process.poll() is None:
        process.kill()
    try:
        stdout, stderr = process.communicate(timeout=30)
    except (ValueError, subprocess.TimeoutExpired):  # already read, or a child holds the pipe
        return ""
    return f"\n--- its stdout:\n{stdout[-3000:]}\n--- its stderr:\n{stderr[-3000:]}"


def expire_tokens(url: str, *, password: str = PASSWORD) -> None:
    requests.post(url + "/standin/tokens/expire", timeout=10,
                  headers=control_headers(url, password=password)).raise_for_status()


def users_logged_in(url: str, users: int) -> Callable[[], bool]:
    """True once the load test's users hold their tokens (spawning is then complete). Call
    ``expire_tokens`` before starting the run, so earlier runs' tokens do not count."""
    def check() -> bool:
        try:
            return counts(url)["tokens"] >= users
        except requests.RequestException:
            return False
    return check


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command_line(process: psutil.Process) -> str:
    """A process's command line; "" once it is gone (a run's short-lived children come and go
    while a test looks at its process tree)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def alive(pids: list[int]) -> list[int]:
    found = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                found.append(pid)
        except psutil.NoSuchProcess:
            pass
    return found
