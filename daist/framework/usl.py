"""The Universal Scalability Law (Gunther) fitted to throughput against load:
``X(N) = lam * N / (1 + sigma * (N - 1) + kappa * N * (N - 1))`` with ``sigma`` the contention
and ``kappa`` the coherency cost; with ``kappa > 0`` throughput peaks at
``N* = sqrt((1 - sigma) / kappa)``. Fitted by scipy's bounded least squares.

A fit is a model of the measured range: a peak beyond the largest measured level is reported
as an extrapolation, never as a measurement.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

MIN_POINTS = 4
"""Three parameters: fewer distinct levels than this fit anything and mean nothing."""


@dataclass
class UslFit:
    lam: float
    """Throughput of one unit of load without contention (requests/s per user)."""
    sigma: float
    kappa: float
    r_squared: float
    peak_level: float | None
    """``N*``; None when ``kappa`` is 0 (throughput never falls in the model)."""
    peak_throughput: float | None
    extrapolated: bool
    """The peak lies beyond the largest measured level."""

    def predict(self, level: float) -> float:
        return self.lam * level / (1 + self.sigma * (level - 1) + self.kappa * level * (level - 1))

    @property
    def text(self) -> str:
        peak = ("no peak in the model (kappa = 0)" if self.peak_level is None else
                f"peak {self.peak_throughput:,.0f}/s at {self.peak_level:,.0f}"
                + (" (extrapolated beyond the measured range)" if self.extrapolated else ""))
        return (f"USL fit: lambda {self.lam:.3g}/s, sigma {self.sigma:.3g}, kappa "
                f"{self.kappa:.3g}, R^2 {self.r_squared:.3f}; {peak}")


def fit_usl(levels: list[float], throughputs: list[float]) -> UslFit | None:
    """The fit over (level, throughput) points; None with fewer than ``MIN_POINTS`` distinct
    levels or when the points cannot be fitted (say, no throughput at all)."""
    import numpy as np
    from scipy.optimize import curve_fit

    points = sorted({float(n): float(x) for n, x in zip(levels, throughputs) if n > 0}.items())
    if len(points) < MIN_POINTS or not any(x > 0 for _, x in points):
        return None
    n = np.array([p[0] for p in points])
    x = np.array([p[1] for p in points])

    def model(level, lam, sigma, kappa):
        return lam * level / (1 + sigma * (level - 1) + kappa * level * (level - 1))

    lam0 = max(x[0] / n[0], 1e-9)
    try:
        (lam, sigma, kappa), _ = curve_fit(model, n, x, p0=(lam0, 0.01, 0.0001),
                                           bounds=([0, 0, 0], [np.inf, 1, np.inf]), maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    residual = float(np.sum((x - model(n, lam, sigma, kappa)) ** 2))
    total = float(np.sum((x - x.mean()) ** 2))
    r_squared = 1.0 - residual / total if total > 0 else 0.0
    peak_level = math.sqrt((1 - sigma) / kappa) if kappa > 1e-12 and sigma < 1 else None
    peak_throughput = (float(model(peak_level, lam, sigma, kappa))
                       if peak_level is not None else None)
    return UslFit(lam=float(lam), sigma=float(sigma), kappa=float(kappa), r_squared=r_squared,
                  peak_level=peak_level, peak_throughput=peak_throughput,
                  extrapolated=peak_level is not None and peak_level > float(n.max()))
