"""Change points of one nightly series: the runs where a figure moved to a new level and stayed
there, robust to what a nightly history is made of besides such moves.

- A figure moves by ratios (a p95 twice as slow), so the series is read in logarithms.
- Nights on different machine types: each type's offset against the most frequent type is the
  median gap between its runs and the nearby runs of that type, so it is measured only where the
  types alternate; a type that replaced another for good keeps its gap, which stays a change.
- One bad night (a 3-5x spike, a heavy tail's stray value) is a run that sits far from the
  runs on both of its sides; it is replaced by their median before the search.
- The search is ``ruptures``' PELT with a least-squares cost, on the series scaled to unit noise,
  with a penalty of ``PENALTY`` x ln(n) and segments of at least ``MIN_SEGMENT`` runs; twice:
  first with the noise from successive differences (robust to the shifts themselves), then
  with the spread within the segments that the first pass found.
- Each shift found is judged against its own segments' noise: the 20 % trimmed means of up to
  ``WINDOW`` runs on each side must differ by ``MIN_Z`` standard errors of that difference (from
  those runs' own spread) and by ``MIN_SHIFT`` at least; the weakest shift that fails is merged
  away and the rest judged again. Judging only the runs near a shift keeps a slow drift from
  adding up to a change.

``benchmarks/changepoint_benchmark.py`` measures this against Apache Otava and MongoDB's
e-divisive (docs/change-points.md); the constants were chosen there on a seed other than the
reported one."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import ruptures
from ruptures.base import BaseCost

PENALTY = 4.0
MIN_SEGMENT = 3
"""Runs on each side of a change: one odd night is noise, three in a row are a level."""
MIN_SHIFT = 0.02
"""Smallest relative move reported, whatever the noise."""
MIN_Z = 3.5
MIN_Z_SHORT = 5.0
"""What a shift beside a short segment (other than the newest) must reach instead of MIN_Z."""
SHORT_SEGMENT = 5
WINDOW = 30
"""Runs on each side of a shift that judge it."""
SPIKE_Z = 4.0
"""A run this many noise units beyond the runs on both its sides is one bad night."""
NEIGHBOURS = 3
"""Runs on each side that a run is held against (spikes, machine offsets)."""
MIN_MACHINE_RUNS = 3
MAD_TO_SIGMA = 1.4826
TRIM = 0.2
"""Share of runs cut from each end of a side before its mean is taken."""
TRIMMED_EFFICIENCY = 1.06
"""Standard error of a normal sample's 20 % trimmed mean over that of its mean."""
SHRINK = 8
"""Weight, in runs, of the whole series' noise in each side's spread."""
SCALE_SEGMENT = 5
"""Segments this long or longer measure the noise for the search's second pass."""


@dataclass(frozen=True)
class Change:
    index: int
    """The first run at the new level."""
    before: float
    """The level of the segment before (its median, on the most frequent machine type)."""
    after: float

    @property
    def ratio(self) -> float:
        return (self.after - self.before) / self.before if self.before else math.inf


def detect(values: Sequence[float], *, machines: Sequence[str | None] | None = None,
           penalty: float = PENALTY, min_segment: int = MIN_SEGMENT,
           min_shift: float = MIN_SHIFT, min_z: float = MIN_Z) -> list[Change]:
    """The level shifts of one series, oldest run first (empty when it is flat or too short).
    ``machines`` names each run's machine type (None: unknown)."""
    if len(values) < 2 * min_segment:
        return []
    raw = np.asarray(values, dtype=float)
    ratios = bool(np.all(raw > 0))
    series = np.log(raw) if ratios else raw.copy()
    if machines is not None:
        series -= machine_offsets(series, list(machines))
    series = despiked(series, noise_scale(series))
    bounds = search(series, penalty=penalty, min_segment=min_segment)
    bounds = judged(series, bounds, min_shift=min_shift, min_z=min_z, ratios=ratios)
    level = (lambda part: float(np.exp(np.median(part)))) if ratios else \
        (lambda part: float(np.median(part)))
    edges = [0, *bounds, len(series)]
    return [Change(at, level(series[edges[i]:at]), level(series[at:edges[i + 2]]))
            for i, at in enumerate(bounds)]


def noise_scale(series: np.ndarray) -> float:
    """The run-to-run noise as a standard deviation, from successive differences."""
    steps = np.diff(series)
    scale = float(np.median(np.abs(steps - np.median(steps)))) * MAD_TO_SIGMA / math.sqrt(2)
    if scale > 0:
        return scale
    # most runs identical: any movement at all is a level of its own
    return float(np.std(series)) or 1.0


def machine_offsets(series: np.ndarray, machines: list[str | None]) -> np.ndarray:
    """Each run's machine-type offset from the most frequent type (0 where unknown or not
    measurable): the median gap between a type's runs and the runs of the most frequent type
    around them, counted only where runs of the most frequent type lie on both sides."""
    if len(machines) != len(series):
        raise ValueError(f"{len(machines)} machine types for {len(series)} runs")
    counts = Counter(m for m in machines if m is not None)
    offsets = np.zeros(len(series))
    if len(counts) < 2:
        return offsets
    reference = counts.most_common(1)[0][0]
    at_reference = [i for i, m in enumerate(machines) if m == reference]
    for machine, count in counts.items():
        if machine == reference or count < MIN_MACHINE_RUNS:
            continue
        sides = []  # per run: its gap to the reference runs before it, and to those after
        for i, m in enumerate(machines):
            if m != machine:
                continue
            before, after = _nearest(at_reference, i)
            if before and after:  # the types alternate here
                sides.append([series[i] - float(np.median(series[side]))
                              for side in (before, after)])
        if len(sides) >= MIN_MACHINE_RUNS:
            first = float(np.median(sides))
            # beside a level shift one side's gap holds the shift too: take the other
            offset = float(np.median([min(gaps, key=lambda g: abs(g - first)) for gaps in sides]))
            offsets[[i for i, m in enumerate(machines) if m == machine]] = offset
    return offsets


def _nearest(indices: list[int], i: int) -> tuple[list[int], list[int]]:
    """Up to NEIGHBOURS of ``indices`` before and after run ``i``, within 2 x NEIGHBOURS runs."""
    before = [j for j in indices if i - 2 * NEIGHBOURS <= j < i][-NEIGHBOURS:]
    after = [j for j in indices if i < j <= i + 2 * NEIGHBOURS][:NEIGHBOURS]
    return before, after


def despiked(series: np.ndarray, scale: float) -> np.ndarray:
    """The series with each run that stands far from the runs on both its sides (in the same
    direction) replaced by the median of the nearer side. A run at a step sits with the runs on
    one side, so a step is kept."""
    out = series.copy()
    for i in range(len(series)):
        left = series[max(0, i - NEIGHBOURS):i]
        right = series[i + 1:i + 1 + NEIGHBOURS]
        sides = [side for side in (left, right) if len(side) >= 2]
        if not sides:
            continue
        levels = [float(np.median(side)) for side in sides]
        gaps = [series[i] - level for level in levels]
        if all(abs(g) > SPIKE_Z * scale for g in gaps) and len({g > 0 for g in gaps}) == 1:
            out[i] = min(levels, key=lambda level: abs(series[i] - level))
    return out


def search(series: np.ndarray, *, penalty: float, min_segment: int) -> list[int]:
    """Candidate change points: the first run of each new segment."""
    scale = noise_scale(series)
    for _ in range(2):
        scaled = ((series - np.median(series)) / scale).reshape(-1, 1)
        ends = ruptures.Pelt(custom_cost=SquaredDeviation(), min_size=min_segment,
                             jump=1).fit(scaled).predict(pen=penalty * math.log(len(series)))
        # successive differences overstate the noise of a short history; the spread within
        # the first pass's segments is the better scale for the second
        within = pooled_spread([series[a:b] for a, b in zip([0, *ends], ends)
                                if b - a >= SCALE_SEGMENT])
        if within <= 0:
            break
        scale = max(within, scale / 2)
    return ends[:-1]


class SquaredDeviation(BaseCost):
    """ruptures' least-squares cost ("l2") of a one-column signal from running sums: the same
    figures, each segment's cost in constant time instead of a pass over the segment."""

    model = "l2"
    min_size = 1

    def fit(self, signal: np.ndarray) -> SquaredDeviation:
        self.signal = np.asarray(signal, dtype=float).reshape(len(signal), -1)
        flat = self.signal[:, 0]
        self._sums = np.concatenate([[0.0], np.cumsum(flat)])
        self._squares = np.concatenate([[0.0], np.cumsum(flat ** 2)])
        return self

    def error(self, start: int, end: int) -> float:
        total = self._sums[end] - self._sums[start]
        return float(self._squares[end] - self._squares[start] - total * total / (end - start))


def trimmed_mean(part: np.ndarray) -> float:
    cut = int(TRIM * len(part))
    return float(np.sort(part)[cut:len(part) - cut].mean())


def pooled_spread(parts: list[np.ndarray]) -> float:
    """The standard deviation within runs of runs, each about its own median (MAD-based)."""
    size = sum(len(p) for p in parts)
    return math.sqrt(sum(len(p) * spread(p) ** 2 for p in parts) / size) if size else 0.0


def spread(part: np.ndarray) -> float:
    return float(np.median(np.abs(part - np.median(part)))) * MAD_TO_SIGMA


def judged(series: np.ndarray, bounds: list[int], *, min_shift: float, min_z: float,
           ratios: bool) -> list[int]:
    """The candidates whose shift stands out of their own segments' noise, merging away the
    weakest failing one at a time."""
    noise = noise_scale(series)
    bounds = list(bounds)
    while bounds:
        edges = [0, *bounds, len(series)]
        margins = [shift_z(series[max(edges[i], at - WINDOW):at],
                           series[at:min(edges[i + 2], at + WINDOW)], noise=noise,
                           min_shift=min_shift, ratios=ratios)
                   / (MIN_Z_SHORT if excursion(edges, i) else min_z)
                   for i, at in enumerate(bounds)]
        weakest = int(np.argmin(margins))
        if margins[weakest] >= 1:
            break
        del bounds[weakest]
    return bounds


def excursion(edges: list[int], i: int) -> bool:
    """Whether the change at ``edges[i + 1]`` begins or ends a short segment other than the
    newest: a few nights away and back (or a few odd first nights), which heavy tails make by
    chance. A short newest segment is the news a nightly check is for: judged as any other."""
    short = [k for k in (i, i + 1) if k < len(edges) - 2]
    return any(edges[k + 1] - edges[k] < SHORT_SEGMENT for k in short)


def shift_z(left: np.ndarray, right: np.ndarray, *, noise: float, min_shift: float,
            ratios: bool) -> float:
    """How many standard errors apart the trimmed means of two runs of runs are (0 when the
    shift is below ``min_shift``)."""
    a, b = trimmed_mean(left), trimmed_mean(right)
    size = abs(math.expm1(b - a)) if ratios else abs(b - a) / (abs(a) or 1.0)
    if size < min_shift:
        return 0.0
    # each side's own spread, drawn towards the series' noise by SHRINK runs' weight: the
    # spread of three runs alone can be near zero
    own = [math.sqrt((SHRINK * noise ** 2 + len(part) * spread(part) ** 2)
                     / (SHRINK + len(part))) for part in (left, right)]
    error = TRIMMED_EFFICIENCY * math.sqrt(own[0] ** 2 / len(left) + own[1] ** 2 / len(right))
    return abs(b - a) / error
