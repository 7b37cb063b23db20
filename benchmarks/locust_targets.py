"""The fixed targets of benchmarks/locust_bench.py, each one process pinned to one CPU:
``Nginx`` (static master-info JSON and login) and ``SlowTarget`` (aiohttp, fixed latency)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MASTER_INFO = {"version": "0.38.1", "masterId": "bench-master", "clusterId": "bench-cluster",
               "clusterName": "bench", "telemetryEnabled": False, "strictJobQueueControl": False,
               "hasCustomLogo": False, "rbacEnabled": False, "product": "PRODUCT_UNSPECIFIED",
               "userManagementEnabled": True, "featureSwitches": [],
               "ssoProviders": [], "externalLoginUri": "", "externalLogoutUri": "",
               "branding": "determined", "clusterMessage": None,
               "padding": "x" * 1100}  # about the 1.5 KB of a real answer
LOGIN = {"token": "bench", "user": {"id": 1, "username": "admin", "admin": True, "active": True}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {port}")


class _Pinned:
    def __init__(self, *, cpu: str) -> None:
        self.cpu = cpu
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        raise NotImplementedError

    def __enter__(self):
        self.process = subprocess.Popen(["taskset", "-c", self.cpu, *self.command()],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.process, type(self).__name__)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Nginx(_Pinned):
    """One nginx process (no master), keep-alive without limit, no access log."""

    def command(self) -> list[str]:
        self.folder = tempfile.mkdtemp(prefix="daist-bench-nginx-")
        master, login = (json.dumps(body, separators=(",", ":")) for body in (MASTER_INFO, LOGIN))
        temp_paths = "".join(f"    {kind}_temp_path {self.folder}/{kind};\n"
                             for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        config = f"""daemon off;
master_process off;
worker_processes 1;
pid {self.folder}/nginx.pid;
error_log {self.folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
{temp_paths}    server {{
        listen 127.0.0.1:{self.port};
        default_type application/json;
        location = /api/v1/master {{ return 200 '{master}'; }}
        location = /api/v1/auth/login {{ return 200 '{login}'; }}
        location = /api/v1/auth/logout {{ return 200 '{{}}'; }}
    }}
}}
"""
        path = Path(self.folder) / "nginx.conf"
        path.write_text(config)
        return ["nginx", "-p", self.folder, "-c", str(path)]


class SlowTarget(_Pinned):
    def __init__(self, *, cpu: str, delay_ms: float) -> None:
        super().__init__(cpu=cpu)
        self.delay_ms = delay_ms

    def command(self) -> list[str]:
        return [sys.executable, str(HERE / "locust_slow_target.py"), str(self.port),
                "--delay-ms", str(self.delay_ms)]
