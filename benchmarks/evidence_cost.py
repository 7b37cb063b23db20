#!/usr/bin/env python3
"""What capturing the target's evidence costs a load test (prints figures; not a test).

Rounds of ``TestRO`` against the embedded stand-in, configurations interleaved (off, metrics,
metrics + a CPU profile) so drift of the machine spreads over all of them; per configuration
the median requests/s and p50 over its rounds, their ratio to "off", and the spread between
rounds of "off" (the noise any difference must exceed). Also the time one metrics read takes
(outside the window: it delays the run, not the measured load).

    __venv__/bin/python benchmarks/evidence_cost.py [--rounds 4] [--run-time 20] [--users 4]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEST = "daist.rest_api.test_locust.TestRO"
OFF = {"DAIST_EVIDENCE_METRICS": "false"}
CONFIGS = {"off": OFF,
           "metrics": {"DAIST_EVIDENCE_METRICS": "true"},
           "metrics+profile": {"DAIST_EVIDENCE_METRICS": "true", "DAIST_EVIDENCE_PROFILE_S": "{p}"},
           "off again": OFF}
"""Each round runs these in order; "off again" against "off" is the noise of the machine: a
configuration costs something measurable only when its ratio to "off" leaves that noise."""


def run_once(work: Path, name: str, *, run_time: int, users: int) -> tuple[float, float]:
    out = Path(tempfile.mkdtemp(dir=work, prefix=f"{name}-"))
    env = {**os.environ, "DAIST_EXEC_OUTPUT": str(out), "DAIST_LOCUST_RUN_TIME": str(run_time),
           "DAIST_LOCUST_USERS": str(users), "DAIST_LOCUST_P95_MS": "0",
           "DAIST_LOG_STDOUT_LEVEL": "WARNING", "DET_MASTER": ""}
    env.update({k: v.format(p=max(1, run_time // 2)) for k, v in CONFIGS[name].items()})
    done = subprocess.run([sys.executable, "-m", "daist", TEST], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"{name} run failed: {done.stderr.strip()[-400:]}")
    from daist.models.locust import LocustStatsList

    (path,) = out.rglob("LocustStatsList-*.json")
    stats = LocustStatsList.open(path)
    p50 = statistics.median(e.hdr.p50_ms for e in stats.entries if e.hdr.count)
    return stats.rps, p50


def metrics_read_ms(samples: int = 20) -> float:
    """Median time of one /debug/prom/metrics read and parse against a fresh stand-in."""
    from daist.evidence.capture import WindowEvidence
    from daist.models.config import EvidenceSettings
    from daist.standin.server import StandinMaster

    with StandinMaster(port=0, scale=20) as url:
        evidence = WindowEvidence(EvidenceSettings(), url=url, user="admin", password="")
        evidence.before()
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            evidence.after()
            times.append((time.perf_counter() - started) * 1000)
        evidence.close()
    return statistics.median(times)


def observe_us(calls: int = 20000) -> float:
    """Per-request cost of the stand-in's metrics (always on, as the master's): one observe()."""
    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from daist.standin.common.grpc_methods import grpc_table
    from daist.standin.observe.prom import ServerMetrics

    metrics = ServerMetrics(grpc_table())
    request = make_mocked_request("GET", "/api/v1/experiments/1", headers={"Host": "m:8080"})
    response = web.Response(text="{}")
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            metrics.observe(request, response, 0.002)
        best = min(best, (time.perf_counter() - started) / calls * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--run-time", type=int, default=20)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--micro", action="store_true", help="only the two small timings")
    args = parser.parse_args()
    if args.micro:
        print(f"one metrics read and parse: {metrics_read_ms():.1f} ms; the stand-in's metrics "
              f"per request: {observe_us():.1f} us")
        return
    work = Path(tempfile.mkdtemp(prefix="daist-evidence-bench-"))
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in CONFIGS}
    for round_ in range(args.rounds):
        for name in CONFIGS:
            rps, p50 = run_once(work, name, run_time=args.run_time, users=args.users)
            found[name].append((rps, p50))
            print(f"  round {round_ + 1} {name:16} {rps:8.1f} req/s  median p50 {p50:6.2f} ms",
                  flush=True)
    print(f"\n{args.rounds} rounds of {args.run_time} s, {args.users} users, TestRO on the "
          f"embedded stand-in; per configuration the median over rounds of its ratio to the "
          f"same round's 'off' (min-max in brackets):")
    for name, values in found.items():
        rps = [v[0] / off[0] for v, off in zip(values, found["off"])]
        p50 = [v[1] / off[1] for v, off in zip(values, found["off"])]
        print(f"  {name:16} req/s {statistics.median(rps):6.1%} ({min(rps):.0%}-{max(rps):.0%})"
              f"   p50 {statistics.median(p50):6.1%} ({min(p50):.0%}-{max(p50):.0%})")
    print(f"one metrics read and parse (outside the window): {metrics_read_ms():.1f} ms")
    print(f"the stand-in's metrics per request (always on, as the master's): {observe_us():.1f} us")


if __name__ == "__main__":
    main()
