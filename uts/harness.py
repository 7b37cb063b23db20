"""Run daist the way users do (a ``python -m daist`` subprocess) and read back what it wrote.

``run_daist("daist.test_target", env={...})`` isolates the run: results go to a temporary
output root unless ``DAIST_EXEC_OUTPUT`` is given, the SDK token store to a temporary
``DET_DEBUG_CONFIG_PATH``, and the caller's DAIST_*/DET_* variables are not inherited."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import unittest

from daist.framework import paths
from daist.models.result import Result
from daist.standin.launcher import StandinProcess

PYTHON = sys.executable
RUN_LOG_ENV = "UTS_RUN_LOG"
"""When set, every finished run appends a line to this file: exit status, and whether its
manifest is valid and lists only files that exist (the reliability figures in docs/reliability.md)."""
INHERITED_PREFIXES = ("DAIST_", "DET_", "PERF_RESULT_DB_", "PGPASSWORD")


@dataclass
class DaistRun:
    returncode: int
    stdout: str
    stderr: str
    results_dir: Path | None

    def __post_init__(self) -> None:
        if os.environ.get(RUN_LOG_ENV):
            tally_run(self, Path(os.environ[RUN_LOG_ENV]))

    @property
    def result(self) -> Result:
        if self.results_dir is None:
            raise AssertionError(f"the run printed no results directory:\n{self.stdout}\n{self.stderr}")
        manifests = sorted(self.results_dir.glob("Result-*.json"))
        if len(manifests) != 1:
            raise AssertionError(f"expected one manifest in {self.results_dir}, found {manifests}")
        return Result.open(manifests[0])

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def report(self) -> Path:
        """The HTML report the run's end printed (``Report: <path>``)."""
        found = re.findall(r"^Report: (.+)$", self.stdout, flags=re.MULTILINE)
        if len(found) != 1:
            raise AssertionError(f"expected one 'Report: ' line:\n{self.output}")
        return Path(found[0])


def clean_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_PREFIXES)}
    environ["DET_DEBUG_CONFIG_PATH"] = tempfile.mkdtemp(prefix="daist-det-config-")
    environ.update(env or {})
    return environ


def start_daist(*args: str, env: dict[str, str] | None = None, output: Path | None = None,
                python: str = PYTHON, entry: tuple[str, ...] = ("-m", "daist"),
                wrapper: tuple[str, ...] = ()) -> tuple[subprocess.Popen, Path]:
    """Start a run without waiting (for signal tests). Returns the process and its output root.
    ``wrapper`` goes before the command (e.g. an ``unshare`` that changes what the run sees)."""
    output = output or Path(tempfile.mkdtemp(prefix="daist-results-"))
    environ = clean_environment({"DAIST_EXEC_OUTPUT": str(output), **(env or {})})
    process = subprocess.Popen([*wrapper, python, *entry, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environ, cwd=paths.ROOT,
                               start_new_session=True)
    return process, output


def run_daist(*args: str, env: dict[str, str] | None = None, output: Path | None = None,
              timeout: float = 300, wrapper: tuple[str, ...] = ()) -> DaistRun:
    process, output = start_daist(*args, env=env, output=output, wrapper=wrapper)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise AssertionError(f"daist {' '.join(args)} did not end within {timeout} s:\n{stdout}\n{stderr}")
    return DaistRun(process.returncode, stdout, stderr, results_dir_of(stdout))


def results_dir_of(stdout: str) -> Path | None:
    found = re.findall(r"^Results: (.+)$", stdout, flags=re.MULTILINE)
    return Path(found[-1]) if found else None


def remove_results(run: DaistRun) -> None:
    if run.results_dir is not None:
        shutil.rmtree(run.results_dir, ignore_errors=True)


def files_containing(directory: Path, needle: str) -> list[Path]:
    """Every file under ``directory`` whose bytes contain ``needle`` (UTF-8)."""
    raw = needle.encode()
    return [path for path in directory.rglob("*") if path.is_file() and raw in path.read_bytes()]


class StandinTestCase(unittest.TestCase):
    """One stand-in master (a subprocess) shared by the class's tests: ``self.url``."""

    standin_options: dict = {"scale": 10}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.standin = StandinProcess(**cls.standin_options)
        cls.url = cls.standin.start()

    @classmethod
    def tearDownClass(cls):
        cls.standin.stop()
        super().tearDownClass()


def tally_run(run: DaistRun, log: Path) -> None:
    import json
    entry = {"returncode": run.returncode, "results_dir": str(run.results_dir or "")}
    try:
        result = run.result
    except Exception as exc:  # noqa: BLE001 - the tally records what it finds
        entry.update(manifest="unreadable" if run.results_dir else "none", why=str(exc)[:200])
    else:
        missing = [rel for rel in result.files if not (run.results_dir / rel).is_file()]
        entry.update(manifest="valid", ended=result.end_time is not None,
                     interrupted=result.interrupted, status=result.outcome.status,
                     files=len(result.files), missing=missing)
    with open(log, "a") as handle:
        handle.write(json.dumps(entry) + "\n")
