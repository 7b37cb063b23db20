"""The large run of benchmarks/metrics_generator.py: N simulated trials with think time through 2
local Locust workers against the embedded stand-in (daist.standin), as the issue asks. The
stand-in's own handling time of each report POST (its Prometheus histogram, read before and
after, as the metric test reads it) against the workers' time for the same calls is the
generator's overhead (generator_check); also printed: reports done, failures, each process's
CPU (mean and peak, % of one core), RSS, event-loop lag (p99, max) and longest full garbage
collection, the stand-in's CPU and RSS. Runs in a process of its own (gevent patches it)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

import psutil

METRICS_PATH = "/debug/prom/metrics"


def _handling(url: str, token: str) -> dict:
    import requests

    from daist.evidence.histograms import parse_handling

    answer = requests.get(url + METRICS_PATH, headers={"Authorization": f"Bearer {token}"},
                          timeout=60)
    answer.raise_for_status()
    return parse_handling(answer.text)


def run(url: str, args: argparse.Namespace) -> dict:
    """One run in this process; the figures as a dict (printed as JSON by the caller)."""
    from daist.framework.master_client import MasterClient
    from daist.metrics.expconf import Level
    from daist.metrics.generator_check import describe_check, generator_check
    from daist.metrics.trial_user import REPORT, TrialSpec
    from daist.metrics.trials_run import TrialsRun
    from daist.metrics.unmanaged import create_experiment
    from daist.models.config import LocustSettings

    api = MasterClient(url)
    api.login("admin", "")
    token = api.token
    level = Level(concurrency=args.trials, metric_count=args.metrics, num_batches=args.reports)
    experiment_id = create_experiment(url, token, level, name=f"bench {args.trials} trials")
    spec = TrialSpec(host=url, experiment_id=experiment_id, num_batches=args.reports,
                     metric_count=args.metrics, visible_timeout=300, think_s=args.think_s)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"big_trials-{os.getpid()}"
    logs.mkdir(exist_ok=True)
    trials = TrialsRun(spec=spec, token=token, trials=args.trials,
                       locust=LocustSettings(workers=args.workers, worker_wait=300),
                       user="admin", password="", timeout=3600, log_dir=logs,
                       spawn_per_process=args.big_spawn_rate / args.workers)
    before = _handling(url, token)
    started = time.perf_counter()
    driven = trials.run()
    wall = time.perf_counter() - started
    after = _handling(url, token)
    handling = {method: h.minus(before.get(method)) for method, h in after.items()}
    check = generator_check(driven, overhead_limit_ms=50.0, handling=handling)
    report = driven.tally.names[REPORT]
    api.close()
    return {"trials": args.trials, "reports_done": driven.reports,
            "reports_wanted": args.trials * args.reports, "failures": driven.tally.failures()[:3],
            "write_p50": report.percentile_ms(50.0), "write_p95": report.percentile_ms(95.0),
            "server_p50": check.server_p50_ms, "overhead_p50": check.overhead_p50_ms,
            "check": describe_check(check), "late": driven.late_workers,
            "wall_s": round(wall, 1), "logs": str(logs),
            "usage": [dataclasses.asdict(u) for u in driven.usage]}


def measure(python: str, script: str, args: argparse.Namespace, *, trials: int) -> dict:
    """Start a stand-in, run ``trials`` in a child process against it, add the stand-in's CPU."""
    import subprocess

    from daist.standin.launcher import StandinProcess

    standin = StandinProcess(scale=10)
    url = standin.start()
    try:
        process = psutil.Process(standin.pid)
        cpu0, wall0 = sum(process.cpu_times()[:2]), time.perf_counter()
        command = [python, script, "--one", "standin", "--url", url, "--trials", str(trials),
                   "--reports", str(args.big_reports), "--metrics", str(args.metrics),
                   "--workers", "2", "--think-s", str(args.big_think_s),
                   "--big-spawn-rate", str(args.big_spawn_rate)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise SystemExit(f"{trials} trials against the stand-in failed:\n"
                             f"{done.stderr[-3000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        figures["standin_cpu"] = 100 * (sum(process.cpu_times()[:2]) - cpu0) / \
            (time.perf_counter() - wall0)
        figures["standin_rss_mb"] = process.memory_info().rss / 2**20
        return figures
    finally:
        standin.stop()


def print_figures(f: dict, args: argparse.Namespace) -> None:
    print(f"{f['trials']} trials, {args.big_reports} reports each, {args.big_think_s:g} s think "
          f"time, started {args.big_spawn_rate:g}/s, 2 local workers, against the stand-in "
          f"(wall {f['wall_s']:.0f} s):")
    print(f"  reports done {f['reports_done']} of {f['reports_wanted']}, failures "
          f"{f['failures'] or 'none'}; write p50 {f['write_p50']:.1f} ms, p95 "
          f"{f['write_p95']:.1f} ms; the stand-in's own p50 {_ms(f['server_p50'])}: overhead "
          f"p50 {_ms(f['overhead_p50'])}; stand-in CPU {f['standin_cpu']:.0f}%, RSS "
          f"{f['standin_rss_mb']:.0f} MB")
    for u in f["usage"]:
        print(f"  {u['role']:<7} pid {u['pid']:>7}: CPU {u['cpu_percent']:5.1f}% "
              f"(peak {u['cpu_max_percent']:5.1f}%), RSS {u['rss_mb']:6.0f} MB, loop lag p99 "
              f"{u['loop_lag_p99_ms']:7.1f} ms max {u['loop_lag_max_ms']:7.1f} ms, longest full "
              f"gc {u['full_gc_max_ms']:6.1f} ms")
    print(f"  generator check: {f['check']}"
          + (f"; late workers: {', '.join(f['late'])}" if f["late"] else ""))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"
