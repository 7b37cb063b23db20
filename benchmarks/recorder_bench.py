#!/usr/bin/env python3
"""What the over-time record (``IntervalRecorder``) adds to each request on the load
generator's hot path: ``Recorder.on_request`` with and without it, in the same process and run
(prints figures and the ratio; not a test).

    __venv__/bin/python benchmarks/recorder_bench.py [--requests 200000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import time

from daist.rest_api.catalogue import CATALOGUE
from daist.rest_api.recorder import Recorder


def per_request_us(recorder: Recorder, requests: int) -> float:
    names = [(t.test_name, t.method) for t in CATALOGUE][:40]
    start = time.time() - 30.0
    recorder.open_window(start)
    began = time.perf_counter()
    for i in range(requests):
        name, method = names[i % len(names)]
        recorder.on_request(request_type=method, name=name, response_time=5.0 + i % 50,
                            start_time=start + i * 1e-4)
    return (time.perf_counter() - began) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    without, with_history = [], []
    for _ in range(args.rounds):
        reference = Recorder()
        reference.intervals.record = lambda *a, **k: None  # the recorder as it was before
        without.append(per_request_us(reference, args.requests))
        with_history.append(per_request_us(Recorder(), args.requests))
    best_without, best_with = min(without), min(with_history)
    print(f"Recorder.on_request, best of {args.rounds} x {args.requests:,} requests:")
    print(f"  without the over-time record  {best_without:6.2f} us/request")
    print(f"  with it                       {best_with:6.2f} us/request "
          f"(+{best_with - best_without:.2f} us, {best_with / best_without:.2f}x)")


if __name__ == "__main__":
    main()
