"""Where the running daist came from: the git checkout it runs in, or, for an installed wheel,
the commit it was built from (``build_info.json``, written by setup.py at build time)."""
from __future__ import annotations

import json
import subprocess

from daist.framework import paths
from daist.models import environment

BUILD_INFO = paths.PACKAGE_DIR / "build_info.json"
MAX_BYTES = 4096


def source_facts() -> dict[str, str]:
    """``git_commit`` and ``git_branch`` (empty when unknown) and ``daist_install``
    (``checkout`` or ``wheel``)."""
    if paths.is_checkout():
        return {"git_commit": _git("rev-parse", "HEAD"),
                "git_branch": _git("rev-parse", "--abbrev-ref", "HEAD"), "daist_install": "checkout"}
    recorded = _recorded()
    return {"git_commit": recorded.get("commit", ""), "git_branch": recorded.get("branch", ""),
            "daist_install": "wheel"}


def _recorded() -> dict[str, str]:
    try:
        with open(BUILD_INFO, "rb") as handle:
            facts = json.loads(handle.read(MAX_BYTES))
    except (OSError, ValueError):
        return {}
    if not isinstance(facts, dict):
        return {}
    return {key: value for key, value in facts.items() if isinstance(value, str)}


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True,
                              timeout=5, env=environment.child_environ())
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
