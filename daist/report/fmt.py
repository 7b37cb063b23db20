"""How numbers read in every report (text and HTML alike)."""
from __future__ import annotations

import math

from daist.models.timestamp import Timestamp


def ms(value: float | None) -> str:
    """Milliseconds with precision that fits the size: 0.412, 12.4, 1,234."""
    if value is None or not math.isfinite(value):
        return "-"
    if abs(value) < 10:
        return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


def rate(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def percent(ratio: float | None, *, digits: int = 1) -> str:
    if ratio is None or not math.isfinite(ratio):
        return "-"
    return f"{ratio * 100:.{digits}f}%"


def count(value: int) -> str:
    return f"{value:,}"


def p_value(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.2g}" if value >= 0.001 else f"{value:.0e}"


def duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {rest:02d} s"


def when(stamp: Timestamp | None) -> str:
    return stamp.iso_seconds if stamp is not None else "-"


def times(ratio: float, *, worse: str, better: str) -> str:
    """pyperf's wording of a ratio (candidate / baseline, > 1 = worse): "1.30x slower"."""
    if not math.isfinite(ratio) or ratio <= 0:
        return "n/a"
    if abs(ratio - 1.0) < 0.005:
        return "same"
    return f"{ratio:.2f}x {worse}" if ratio > 1 else f"{1 / ratio:.2f}x {better}"


def shorten(text: str, width: int) -> str:
    """One line of at most ``width`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:max(0, width - 3)] + "..."


def columns(rows: list[list[str]], *, right: set[int] = frozenset(), indent: str = "") -> list[str]:
    """Rows of cells (the first is the header) as aligned text lines with a rule below the
    header; cells of the ``right`` column indexes are right-aligned."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: list[str]) -> str:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        return (indent + "  ".join(cells)).rstrip()
    return [line(rows[0]), indent + "  ".join("-" * w for w in widths), *map(line, rows[1:])]
