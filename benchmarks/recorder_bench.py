#!/usr/bin/env python3
"""What daist's recorder adds to each request on the load generator, in isolation: the
``request`` event's note (``Recorder.on_request``) and the bulk filing a second later
(``Recorder.settle``: window, HDR, blocks, over-time record), next to a listener that does
nothing, called the same way in the same run (prints figures; not a test).

Requests as Locust reports them: 40 catalogue endpoints, latencies 5-54 ms, every 50th failed,
settled every ``--per-settle`` requests (the load's ticker waits for ``SETTLE_EVERY``).

    __venv__/bin/python benchmarks/recorder_bench.py [--requests 200000] [--rounds 5]
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from daist.models.locust import block_length
from daist.rest_api.catalogue import CATALOGUE
from daist.rest_api.recorder import SETTLE_EVERY, Recorder


def events(count: int, start: float) -> list[dict[str, Any]]:
    names = [(t.test_name, t.method) for t in CATALOGUE][:40]
    return [{"request_type": names[i % len(names)][1], "name": names[i % len(names)][0],
             "response_time": 5.0 + i % 50, "response_length": 1500, "context": {},
             "exception": RuntimeError("boom") if i % 50 == 0 else None,
             "start_time": start + i * 2e-4, "url": "/x", "response": None}
            for i in range(count)]


def nothing(**_: Any) -> None:
    pass


def one_round(batch: list[dict[str, Any]], per_settle: int) -> tuple[float, float, float]:
    """us per request: the do-nothing listener, the note, the settle."""
    recorder = Recorder(block_s=block_length(60.0))
    recorder.open_window(batch[0]["start_time"])
    began = time.process_time()
    for event in batch:
        nothing(**event)
    floor = time.process_time() - began
    noting = settling = 0.0
    for at in range(0, len(batch), per_settle):
        began = time.process_time()
        for event in batch[at:at + per_settle]:
            recorder.on_request(**event)
        noted = time.process_time()
        recorder.settle()
        noting += noted - began
        settling += time.process_time() - noted
    return tuple(1e6 * t / len(batch) for t in (floor, noting, settling))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-settle", type=int, default=SETTLE_EVERY)
    args = parser.parse_args()
    batch = events(args.requests, time.time() - 120.0)
    one_round(batch[:args.per_settle], args.per_settle)  # numpy's import and first calls
    results = [one_round(batch, args.per_settle) for _ in range(args.rounds)]
    print(f"Recorder per request, median [range] of {args.rounds} x {args.requests:,} requests "
          f"(settled every {args.per_settle:,}):")
    for index, label in enumerate(("a listener that does nothing", "note (the request event)",
                                   "settle (in bulk)")):
        values = [r[index] for r in results]
        print(f"  {label:30} {statistics.median(values):6.2f} us  "
              f"[{min(values):.2f} .. {max(values):.2f}]")
    total = [r[1] + r[2] - r[0] for r in results]
    print(f"  {'recorder, beyond the call':30} {statistics.median(total):6.2f} us  "
          f"[{min(total):.2f} .. {max(total):.2f}]")


if __name__ == "__main__":
    main()
