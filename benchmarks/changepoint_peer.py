#!/usr/bin/env python3
"""Runs one peer change-point detector over the benchmark's series, at its defaults, inside the
peer's own venv (its pins conflict with daist's): ``changepoint_benchmark.py`` starts it.

    PEER_VENV/bin/python benchmarks/changepoint_peer.py {otava,edivisive} SERIES.json OUT.json

SERIES.json is ``{"series": [[value, ...], ...]}``; OUT.json gets ``{"changes": [[index, ...],
...]}``: for each series, the first run at each new level. Imports nothing from daist.
"""
from __future__ import annotations

import json
import sys


def otava(values: list[float]) -> list[int]:
    """Apache Otava's default analysis (window 50, p 0.001, no minimum magnitude), as
    ``otava analyze`` runs it."""
    from otava.analysis import compute_change_points
    from otava.series import AnalysisOptions

    options = AnalysisOptions()
    points, _weak = compute_change_points(list(values), window_len=options.window_len,
                                          max_pvalue=options.max_pvalue,
                                          min_magnitude=options.min_magnitude)
    return sorted(int(p.index) for p in points)


def edivisive(values: list[float]) -> list[int]:
    """MongoDB's e-divisive at its defaults (p 0.05, 100 permutations); its permutation test
    draws from numpy's global generator, seeded per series so a rerun repeats."""
    import numpy as np
    from signal_processing_algorithms.energy_statistics.energy_statistics import e_divisive

    np.random.seed(1)
    return sorted(int(p) for p in e_divisive(list(values)))


PEERS = {"otava": otava, "edivisive": edivisive}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in PEERS:
        print(f"usage: changepoint_peer.py {{{','.join(PEERS)}}} SERIES.json OUT.json",
              file=sys.stderr)
        return 2
    detect = PEERS[argv[0]]
    with open(argv[1], encoding="utf-8") as f:
        series = json.load(f)["series"]
    found = [detect(values) for values in series]
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump({"changes": found}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
