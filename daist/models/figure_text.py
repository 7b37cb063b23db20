"""Labels built from data are plain text to matplotlib.

matplotlib reads a string holding two unescaped ``$`` as mathtext: an endpoint or test name such
as ``$\\undefinedmacro{$`` then fails the whole figure (or draws something else than the name).
Every figure daist saves goes through ``Figure.from_matplotlib``, which calls ``plain_labels``
first: titles, axis labels, legends, annotations and tick labels given as strings are drawn as
the characters they hold. Numeric tick labels stay as matplotlib makes them (a log axis writes
``10^2`` in mathtext of its own)."""
from __future__ import annotations

from typing import Any

DATA_FORMATTERS = ("FixedFormatter", "FuncFormatter", "StrCategoryFormatter")
"""Tick formatters whose labels are strings the caller gave (``set_yticks(..., names)`` makes
a FuncFormatter over them; categories a StrCategoryFormatter)."""


def _inert(text: str) -> str:
    """``text`` with every ``$`` escaped: matplotlib then finds no mathtext and shows ``$``."""
    return str(text).replace("$", r"\$")


def _escape_formatter(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    data = axis.get_major_formatter()
    axis.set_major_formatter(FuncFormatter(lambda value, pos: _inert(data(value, pos))))


def plain_labels(figure: Any) -> None:
    """Turn mathtext off in every text of ``figure`` but the numeric tick labels (and their
    offset text); tick labels from data are escaped as matplotlib draws them."""
    from matplotlib.text import Text

    texts = figure.findobj(Text)  # first: listing an axis's children makes its ticks
    numeric: set[int] = set()
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            if type(axis.get_major_formatter()).__name__ in DATA_FORMATTERS:
                _escape_formatter(axis)
            numeric.add(id(axis.offsetText))
            for tick in [*axis.majorTicks, *axis.minorTicks]:
                numeric.update((id(tick.label1), id(tick.label2)))
    for text in texts:
        if id(text) not in numeric:
            text.set_parse_math(False)
