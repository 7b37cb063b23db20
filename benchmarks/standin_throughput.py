#!/usr/bin/env python3
"""Requests/s of the stand-in master next to nginx serving the same JSON (prints figures).

For each scale: start ``python -m daist.standin`` (start-up and seed time are printed), then
drive GET /api/v1/master and GET /api/v1/experiments with wrk on loopback, then nginx (one
worker, like the stand-in's one event loop) serving the very same response bodies as static
files, and print the ratio. Also prints in-process seed times per scale. Needs ``wrk`` and
``nginx`` (Debian: ``apt-get install -y wrk nginx-light``). Not a test.

    __venv__/bin/python benchmarks/standin_throughput.py [--scales 100,10000]
        [--seed-scales 100,10000,100000] [--duration 5] [--connections 64]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daist.standin.launcher import StandinProcess  # noqa: E402
from daist.standin.seed.seeder import SeedSpec, seed_store  # noqa: E402
from daist.standin.state.store import StandinStore  # noqa: E402

ENDPOINTS = ("/api/v1/master", "/api/v1/experiments")
NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type application/json;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    server {{ listen 127.0.0.1:{port}; root {tmp}/www; }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, *, duration: int, connections: int, token: str | None) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"could not read wrk output: {out!r}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"    (wrk saw {errors.group(1)} non-2xx responses)")
    return float(match.group(1))


def seed_times(scales: list[int]) -> None:
    print("In-process seed time (StandinStore in memory):")
    for scale in scales:
        store = StandinStore()
        started = time.perf_counter()
        seed_store(store, SeedSpec(scale=scale))
        elapsed = time.perf_counter() - started
        counts = store.counts()
        store.close()
        print(f"  scale {scale:>7,}: {elapsed:6.2f} s  ({counts['experiments']:,} experiments, "
              f"{counts['trials']:,} trials, {counts['metrics']:,} metric reports, "
              f"{counts['checkpoints']:,} checkpoints)")


def bench_scale(scale: int, *, duration: int, connections: int) -> None:
    started = time.perf_counter()
    with StandinProcess(scale=scale, startup_timeout=600) as url:
        startup = time.perf_counter() - started
        health = requests.get(f"{url}/standin/health", timeout=30).json()
        print(f"scale {scale:,}: start-up {startup:.2f} s (seed {health['seedSeconds']:.2f} s)")
        token = requests.post(f"{url}/api/v1/auth/login", timeout=30,
                              json={"username": "admin", "password": ""}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        with tempfile.TemporaryDirectory(prefix="standin-nginx-") as tmp:
            os.chmod(tmp, 0o755)  # nginx's worker runs as an unprivileged user
            bodies = {}
            for path in ENDPOINTS:
                body = requests.get(url + path, headers=headers, timeout=60).content
                bodies[path] = body
                target = Path(tmp, "www", path.lstrip("/"))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
            port = free_port()
            Path(tmp, "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=port))
            nginx = subprocess.Popen(["nginx", "-p", tmp, "-c", f"{tmp}/nginx.conf", "-g",
                                      "daemon off;"], stderr=subprocess.DEVNULL)
            try:
                for _ in range(100):
                    try:
                        requests.get(f"http://127.0.0.1:{port}/api/v1/master", timeout=1)
                        break
                    except requests.ConnectionError:
                        time.sleep(0.05)
                for path in ENDPOINTS:
                    standin = wrk(url + path, duration=duration, connections=connections,
                                  token=token)
                    static = wrk(f"http://127.0.0.1:{port}{path}", duration=duration,
                                 connections=connections, token=None)
                    print(f"  GET {path:<22} {len(bodies[path]):>8,} B  stand-in "
                          f"{standin:>9,.0f} req/s   nginx {static:>9,.0f} req/s   "
                          f"ratio {standin / static:.3f}")
            finally:
                nginx.terminate()
                nginx.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100,10000")
    parser.add_argument("--seed-scales", default="100,10000,100000")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args(argv)
    missing = [tool for tool in ("wrk", "nginx") if shutil.which(tool) is None]
    if missing:
        print(f"standin_throughput: {' and '.join(missing)} not found on PATH; install with "
              "'apt-get install -y wrk nginx-light' (Debian) and run again.")
        return 1
    print(f"wrk -t2 -c{args.connections} -d{args.duration}s on loopback; {os.cpu_count()} CPUs")
    for scale in (int(s) for s in args.scales.split(",") if s):
        bench_scale(scale, duration=args.duration, connections=args.connections)
    seed_times([int(s) for s in args.seed_scales.split(",") if s])
    return 0


if __name__ == "__main__":
    sys.exit(main())
