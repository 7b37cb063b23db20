#!/usr/bin/env python3
"""Compatibility shim for tools that still look for setup.py, and the one build step
pyproject.toml cannot declare: the wheel records the commit it was built from.

Everything else (metadata, dependencies, package data) is declared in pyproject.toml; build with
``./build_pkg.py`` (PEP 517) and never run this file directly.
"""
import json
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

BUILD_INFO = Path("daist", "build_info.json")
"""Read by daist.framework.build_info; written only into build trees, never into the checkout."""


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                              cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _facts() -> dict:
    """From an sdist, what it recorded; else the commit and branch of the checkout being built
    (only the checkout's own repository: an unpacked sdist in a temporary folder may sit inside
    another one)."""
    root = Path(__file__).resolve().parent
    if (root / BUILD_INFO).is_file():
        return json.loads((root / BUILD_INFO).read_text())
    if Path(_git("rev-parse", "--show-toplevel") or "/nonexistent").resolve() != root:
        return {}
    return {"commit": _git("rev-parse", "HEAD"),
            "branch": _git("rev-parse", "--abbrev-ref", "HEAD")}


def _write(root: str) -> None:
    facts = _facts()
    if facts:
        target = Path(root, BUILD_INFO)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(facts) + "\n")


class SdistWithSource(sdist):
    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        _write(base_dir)


class BuildPyWithSource(build_py):
    def run(self):
        super().run()
        _write(self.build_lib)


setup(cmdclass={"sdist": SdistWithSource, "build_py": BuildPyWithSource})
