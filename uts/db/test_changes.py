"""``python -m daist.db changes``: change points over the history in a real PostgreSQL. The
histories are synthetic with fixed seeds: one level shift at a known run, and flat noise."""
from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np

from daist.db.cli import main
from daist.db.connection import DbTarget, connect
from daist.db.schema import migrate
from daist.db.upload import UploadReport, upload_result
from daist.models.result import Host, Result, TestRecord
from daist.models.timestamp import Timestamp
from uts.db.support import RO_TEST, DbTestCase, daist_db
from uts.rest_api.factories import make_entry, make_stats

DAY = 86400.0
START = 1722278982.0
STEP_AT = 12


def levels(seed: int, n: int, *, step_at: int | None = None, factor: float = 1.4) -> list[float]:
    """p95 per run in ms: 40 ms with 8 % log-normal noise, times ``factor`` from ``step_at``."""
    noise = np.random.default_rng(seed).lognormal(0.0, 0.08, n)
    return [round(40.0 * float(x) * (factor if step_at is not None and i >= step_at else 1.0), 1)
            for i, x in enumerate(noise)]


def upload_day(target: DbTarget, work: Path, index: int, p95_ms: dict[str, float], *,
               days: float = 0.0, cpu_count: int | None = None) -> UploadReport:
    """Upload run ``index`` of a daily history (its endpoints at these p95s) through the CLI's
    own upload path; ``work`` holds its results directory; ``cpu_count`` is the load
    generator's, part of the run's machine type."""
    directory = work / f"run{index:02d}"
    directory.mkdir()
    start = Timestamp(START + (index + days) * DAY)
    metadata = {"git_commit": f"c{index:02d}" + "0" * 9, "git_branch": "main"}
    if cpu_count is not None:
        metadata.update(cpu_count=cpu_count, platform="Linux-6.8.0-x86_64-with-glibc2.39")
    result = Result(directory=directory, host_label="standin", system="standin",
                    command="uts", host=Host("http://127.0.0.1:1"), start_time=start,
                    end_time=Timestamp(start.unix + 30), metadata=metadata)
    entries = [make_entry(name, latencies=[value] * 100)  # a p99 needs 100 samples
               for name, value in p95_ms.items()]
    path = result.add(make_stats(*entries), test_id=RO_TEST, tags=("TestRO.test",))
    relative = result.relative(path)  # recorded that day (the rows' time)
    result.files[relative] = dataclasses.replace(result.files[relative], time=start)
    result.tests[RO_TEST] = TestRecord(status="passed", duration_s=20.0)
    result.save_manifest()
    return upload_result(target, result)


def changes_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """``daist.db changes ARGS`` in this process (a CLI start costs seconds): status, out, err."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        status = main(["changes", *args])
    return status, out.getvalue(), err.getvalue()


class ChangesTestCase(DbTestCase):
    """Runs uploaded through ``python -m daist.db``'s own upload path, read back by the CLI."""

    def setUp(self):
        super().setUp()
        with connect(self.target) as conn:
            migrate(conn, self.target)
        self.work = Path(tempfile.mkdtemp(prefix="uts-db-changes-"))
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)

    def upload(self, index: int, p95_ms: dict[str, float], *, days: float = 0.0,
               cpu_count: int | None = None) -> None:
        """One run; ``cpu_count`` is the load generator's, part of the run's machine type."""
        report = upload_day(self.target, self.work, index, p95_ms, days=days, cpu_count=cpu_count)
        self.assertFalse(report.skipped)

    def changes(self, *args: str) -> tuple[int, str, str]:
        return changes_cli(self.env(), *args)


class TestChangesCommand(ChangesTestCase):
    def setUp(self):
        super().setUp()
        stepped, flat = levels(1, 24, step_at=STEP_AT), levels(2, 24)
        for i, (slow, steady) in enumerate(zip(stepped, flat)):
            self.upload(i, {"get experiments": slow, "get trial": steady})
        self.upload(24, {"get models": 12.0}, days=0.5)  # one run only

    def test_the_step_with_commits_on_both_sides_drawn_filters_and_last(self):
        page = self.work / "changes.html"
        done = daist_db("changes", "--html", str(page), env=self.env())
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        self.assertRegex(lines[0], r"^get experiments \(GET\) on standin: p95 over 24 runs "
                                   r"\(2024-07-29 to 2024-08-21\), 1 change\(s\):$")
        self.assertRegex(lines[1], rf"^  2024-08-10T\d\d:\d\d:\d\dZ: p95 [\d.]+ -> [\d.]+ ms "
                                   rf"\(\+[34]\d\.\d%\); commits c{STEP_AT - 1:02d}000000000 "
                                   rf"\(last before\) -> c{STEP_AT:02d}000000000 \(first after\)$")
        self.assertIn("No change in p95: 1 endpoint(s) (get trial (GET) on standin)", lines)
        self.assertIn("History too short to judge (fewer than 6 runs): get models (GET) on standin (1)",
                      lines)
        self.assertEqual(lines[-1], f"Changes: {page}")
        html = page.read_text()
        self.assertEqual(html.count("data:image/png;base64,"), 1)  # only the changed endpoint
        self.assertIn("get experiments (GET) on standin", html)
        # filters, another figure, --last (in this process: a CLI start costs seconds)
        status, out, err = self.changes("--test", "get trial", "--measure", "p99")
        self.assertEqual((status, out.splitlines()),
                         (0, ["No change in p99: 1 endpoint(s) (get trial (GET) on standin)"]), err)
        status, out, err = self.changes("--test", "get experiments", "--last", "5")
        self.assertIn("History too short to judge (fewer than 6 runs): get experiments (GET) on "
                      "standin (5)", out)
        status, out, err = self.changes("--test", "get nothing")
        self.assertEqual((status, err), (1, "daist: error: no p95 history for 'get nothing'\n"))


class TestChangesAcrossMachineTypes(ChangesTestCase):
    """Nights on two machine types (the generator's CPU count), the larger 1.5x slower, in a
    fixed irregular order: one endpoint flat, one with a step; each night's type comes from its
    run's row."""

    LARGE = "LSLLSSLSLLLSSLSSLLSLSSLL"

    def setUp(self):
        super().setUp()
        stepped, flat = levels(3, 24, step_at=STEP_AT), levels(4, 24)
        for i, (slow, steady, kind) in enumerate(zip(stepped, flat, self.LARGE)):
            factor = 1.5 if kind == "L" else 1.0
            self.upload(i, {"get experiments": slow * factor, "get trial": steady * factor},
                        cpu_count=16 if kind == "L" else 4)

    def test_the_step_is_found_and_the_alternation_is_no_change(self):
        page = self.work / "changes.html"
        status, out, err = self.changes("--html", str(page))
        self.assertEqual(status, 0, err)
        self.assertEqual(page.read_text().count("data:image/png;base64,"), 1)
        lines = out.splitlines()[:-1]  # the last names the page
        self.assertRegex(lines[0], r"^get experiments \(GET\) on standin: p95 over 24 runs on 2 "
                                   r"machine types \(levels on the most frequent\) "
                                   r"\(2024-07-29 to 2024-08-21\), 1 change\(s\):$")
        self.assertRegex(lines[1], rf"^  2024-08-10T\d\d:\d\d:\d\dZ: p95 [\d.]+ -> [\d.]+ ms "
                                   rf"\(\+[34]\d\.\d%\); commits c{STEP_AT - 1:02d}000000000")
        self.assertEqual(lines[2:],
                         ["No change in p95: 1 endpoint(s) (get trial (GET) on standin)"])


if __name__ == "__main__":
    unittest.main()
