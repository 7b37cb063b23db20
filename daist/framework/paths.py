"""Where things live. Pure functions of the package location: nothing is created on import."""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
"""The ``daist`` package directory (inside a checkout or inside site-packages)."""

ROOT = PACKAGE_DIR.parent
"""The project root when running from a checkout; site-packages for an installed wheel."""

DEFAULT_CONFIG = PACKAGE_DIR / "config.d" / "config.conf"
VENV_DIR = ROOT / "__venv__"
DIST_DIR = ROOT / "__dist__"


def is_checkout() -> bool:
    """True when daist runs from its source tree rather than from an installed wheel."""
    return (ROOT / "pyproject.toml").is_file() and (ROOT / "run.py").is_file()


def default_results_root() -> Path:
    """``daist/results`` in a checkout; ``./daist-results`` for an installed wheel, because
    writing results into site-packages would hide them and may not be permitted."""
    if is_checkout():
        return PACKAGE_DIR / "results"
    return Path.cwd() / "daist-results"
