#!/usr/bin/env python3
"""How fast ``python -m daist.seed`` fills a stand-in, next to the same number of plain metric
POSTs sent by as many threads to the same stand-in in the same run (the reference: the
stand-in's write capacity through daist's REST client, without the seed's logic).

    __venv__/bin/python benchmarks/seed_rate.py [--experiments 1000] [--concurrency 8]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daist.framework.master_client import MasterClient  # noqa: E402
from daist.seed.master import SeedMaster  # noqa: E402
from daist.seed.plan import SeedPlan  # noqa: E402
from daist.seed.run import seed  # noqa: E402
from daist.standin.launcher import StandinProcess  # noqa: E402


def calls_per_experiment(plan: SeedPlan) -> int:
    """REST calls one seeded experiment takes (create, label; per trial: create, start,
    reports, validation, checkpoints, end)."""
    per_trial = 2 + plan.reports_per_trial + 1 + plan.checkpoints_per_trial + 1
    return 2 + plan.trials_per_experiment * per_trial


def reference_posts(url: str, token: str, total: int, concurrency: int) -> float:
    """Seconds for ``total`` metric POSTs (one unmanaged trial per thread)."""
    master = SeedMaster(url, token)
    made = master._send("POST", "/api/v1/experiments",
                        {"config": "name: reference\n", "unmanaged": True})
    trials = []
    for _ in range(concurrency):
        trial = master._send("POST", "/api/v1/trials", {
            "experimentId": made["experiment"]["id"], "unmanaged": True})["trial"]
        master._send("POST", f"/api/v1/trials/{trial['id']}/start", {"trialId": trial["id"]})
        trials.append(int(trial["id"]))

    def post(worker: int) -> None:
        for step in range(worker, total, concurrency):
            master._metrics(trials[worker], 1, step + 1, "training", {"loss": 1.0})

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(concurrency)))
    elapsed = time.perf_counter() - started
    master.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    standin = StandinProcess(scale=10)
    url = standin.start()
    try:
        with MasterClient(url) as api:
            api.login("admin", "")
            plan = SeedPlan(label="bench", experiments=args.experiments)
            master = SeedMaster(url, api.token or "")
            outcome = seed(master, plan, concurrency=args.concurrency, interval=3600,
                           say=lambda text: None)
            master.close()
            calls = outcome.created * calls_per_experiment(plan)
            seed_rps = calls / outcome.seconds
            reference_s = reference_posts(url, api.token or "", calls, args.concurrency)
            ref_rps = calls / reference_s
        print(f"seeded {outcome.created} experiments in {outcome.seconds:.1f} s: "
              f"{outcome.rate:.1f} experiments/s, {seed_rps:,.0f} requests/s "
              f"({calls_per_experiment(plan)} calls each, concurrency {args.concurrency})")
        print(f"reference: {calls} metric POSTs in {reference_s:.1f} s: {ref_rps:,.0f} requests/s")
        print(f"seed / reference requests/s: {seed_rps / ref_rps:.2f}")
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
