"""``StandinProcess``: the stand-in as a subprocess, started and stopped from Python."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import requests

from daist.standin.launcher import STANDIN_CLUSTER_NAME, StandinError, StandinProcess, reap_trials

REPO = Path(__file__).resolve().parents[2]


def _login(url: str, password: str = "") -> dict:
    token = requests.post(f"{url}/api/v1/auth/login", json={"username": "admin", "password": password},
                          timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _marked(pid: int) -> list[int]:
    marker = f"DAIST_STANDIN_PID={pid}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _wait_gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.1)
    return False


SLEEPY = ("entrypoint: python3 -c \"import subprocess; print('up', flush=True); "
          "subprocess.run(['sleep', '60'])\"\nsearcher: {name: single, metric: x}\n")


class TestLauncherModule(unittest.TestCase):
    def test_importing_it_pulls_in_no_server_code(self) -> None:
        code = ("import sys, daist.standin.launcher; "
                "print(sorted(m for m in sys.modules if m.startswith(('aiohttp', 'daist.standin.'))))")
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.stdout.strip(), "['daist.standin.launcher']", out.stderr)

    def test_cluster_name_matches_the_server(self) -> None:
        from daist.standin.backend import STANDIN_CLUSTER_NAME as served

        self.assertEqual(STANDIN_CLUSTER_NAME, served)


class TestStandinProcess(unittest.TestCase):
    def test_start_serves_and_stop_is_clean_and_idempotent(self) -> None:
        process = StandinProcess(scale=12, passwords={"admin": "Adm1n-pw"},
                                 faults=["--error-rate=1:503@^/api/v1/master/config$"])
        with process as url:
            self.assertRegex(url, r"^http://127\.0\.0\.1:\d+$")
            self.assertIsNotNone(process.pid)
            self.assertIsNone(process.returncode)
            self.assertEqual(requests.get(f"{url}/info", timeout=10).json()["cluster_name"],
                             STANDIN_CLUSTER_NAME)
            headers = _login(url, "Adm1n-pw")
            self.assertEqual(requests.get(f"{url}/api/v1/master/config", headers=headers,
                                          timeout=10).status_code, 503)
            self.assertEqual(requests.get(f"{url}/standin/counts", timeout=10).json()["experiments"], 12)
        self.assertEqual(process.returncode, 0)
        process.stop()

    def test_passwords_travel_through_stdin_not_the_command_line(self) -> None:
        secret = "Pa55 word-in-argv?"
        process = StandinProcess(scale=10, passwords={"admin": secret})
        with process as url:
            with open(f"/proc/{process.pid}/cmdline", "rb") as cmdline:
                self.assertNotIn(secret.encode(), cmdline.read())
            self.assertTrue(_login(url, secret))

    def test_failed_start_raises_with_the_log_tail(self) -> None:
        process = StandinProcess(extra_args=["--scale", "3"])
        with self.assertRaises(StandinError) as caught:
            process.start()
        self.assertIn("scale must be between", str(caught.exception))
        process.stop()

    def _start_sleepy_trial(self, url: str) -> None:
        headers = _login(url)
        created = requests.post(f"{url}/api/v1/experiments", headers=headers, timeout=10,
                                json={"config": SLEEPY, "activate": True, "modelDefinition": []})
        self.assertEqual(created.status_code, 200, created.text)
        task = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and task is None:
            trials = requests.get(f"{url}/api/v1/experiments/{created.json()['experiment']['id']}"
                                  "/trials", headers=headers, timeout=10).json()["trials"]
            logs = requests.get(f"{url}/api/v1/trials/{trials[0]['id']}/logs", headers=headers,
                                timeout=10).text if trials else ""
            task = trials[0]["taskId"] if "up" in logs else None
            time.sleep(0.1)
        self.assertIsNotNone(task, "the trial never started")

    def test_no_trial_survives_a_stop(self) -> None:
        process = StandinProcess()
        url = process.start()
        self._start_sleepy_trial(url)
        self.assertTrue(_marked(process.pid))
        process.stop()
        self.assertEqual(_marked(process.pid), [])

    def test_no_trial_survives_a_sigkilled_standin(self) -> None:
        process = StandinProcess()
        url = process.start()
        self._start_sleepy_trial(url)
        os.kill(process.pid, signal.SIGKILL)
        process.stop()
        self.assertEqual(_marked(process.pid), [])
        self.assertEqual(reap_trials(process.pid), 0)

    def test_standin_exits_when_its_parent_dies(self) -> None:
        code = ("import json, os; from daist.standin.launcher import StandinProcess; "
                "p = StandinProcess(); url = p.start(); "
                "print(json.dumps({'pid': p.pid, 'url': url}), flush=True); os._exit(0)")
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                                 text=True, timeout=60, env={**os.environ, "TMPDIR": tmp})
        child = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertTrue(_wait_gone(child["pid"]), "the stand-in outlived its parent")


if __name__ == "__main__":
    unittest.main()
