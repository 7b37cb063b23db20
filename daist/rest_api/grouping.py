"""Split numpy rows by an integer code in one sort: what the recorder files per endpoint, per
block and per interval a second at a time, without a numpy call per row."""
from __future__ import annotations

from typing import Any, Iterator


def grouped(codes: Any) -> Iterator[tuple[int, Any]]:
    """(code, positions of the rows with that code) for each distinct code, in increasing
    order; the positions keep the rows' order."""
    import numpy as np
    if not len(codes):
        return
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    cuts = (np.flatnonzero(ordered[1:] != ordered[:-1]) + 1).tolist()
    for start, end in zip([0, *cuts], [*cuts, len(codes)]):
        yield int(ordered[start]), order[start:end]
