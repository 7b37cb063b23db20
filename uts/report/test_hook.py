import shutil
import unittest
from pathlib import Path
from types import SimpleNamespace

from daist.framework.session import Session
from daist.framework.settings import load_settings
from daist.models.result import Result, TestRecord
from daist.report.hook import point_latest, write_run_report
from uts.report.factories import (LOAD_TEST, artifact_path, latencies, make_entry, make_run_dir,
                                  make_stats)


def session_of(directory: Path) -> SimpleNamespace:
    """What the hook uses of a ``Session``: its results directory and live manifest."""
    (manifest,) = directory.glob("Result-*.json")
    return SimpleNamespace(results_dir=directory, result=Result.open(manifest))


class TestWriteRunReport(unittest.TestCase):
    def run_dir(self, **kwargs) -> Path:
        directory = make_run_dir(**kwargs)
        self.addCleanup(shutil.rmtree, directory.parents[1])
        return directory

    def report_path(self, note: str) -> Path:
        (line,) = [line for line in note.splitlines() if line.startswith("Report: ")]
        return Path(line[len("Report: "):])

    def test_writes_records_and_returns_the_summary(self):
        stats = make_stats(make_entry("get experiments", latencies(9, 50, seed=1)))
        session = session_of(self.run_dir(locust={LOAD_TEST: stats}))
        note = write_run_report(session)
        self.assertTrue(note.startswith("daist run passed: 1 tests run"))
        self.assertIn("GET get experiments", note)
        path = self.report_path(note)
        self.assertTrue(path.is_file())
        self.assertEqual(path.parent, session.results_dir)
        # recorded in the session's own manifest (the session saves it last)
        self.assertEqual(session.result.files_of("Report"), [path])
        self.assertEqual(Result.open(session.result.manifest_path).files_of("Report"), [path])

    def test_latest_points_at_the_newest_run(self):
        first = self.run_dir()
        write_run_report(session_of(first))
        latest = first.parent / "latest"
        self.assertTrue(latest.is_symlink())
        self.assertEqual(latest.readlink(), Path(first.name))        # relative: the tree can move
        second = first.parent / (first.name + "-2")
        second.mkdir()
        point_latest(second)
        self.assertEqual(latest.resolve(), second.resolve())
        self.assertEqual(sorted(p.name for p in first.parent.iterdir()),
                         sorted([first.name, second.name, "latest"]))  # no temporary link left

    def test_zero_tests_and_no_artifacts(self):
        note = write_run_report(session_of(self.run_dir(status="error")))
        self.assertIn("daist run error: 0 tests run", note)
        self.assertTrue(self.report_path(note).is_file())

    def test_interrupted_run_with_a_truncated_artifact(self):
        stats = make_stats(make_entry("get experiments", latencies(9, 50, seed=1)))
        directory = self.run_dir(locust={LOAD_TEST: stats}, status="interrupted",
                                 tests={LOAD_TEST: TestRecord("running", 3.0)})
        stats_path = artifact_path(directory, "LocustStatsList")
        stats_path.write_bytes(stats_path.read_bytes()[:-40])
        session = session_of(directory)
        session.result.interrupted = True
        session.result.save_manifest()
        with self.assertLogs("daist.report", "WARNING") as logs:
            note = write_run_report(session)
        self.assertEqual(len(logs.records), 1)
        self.assertIn(stats_path.name, logs.records[0].getMessage())
        self.assertIn("daist run interrupted", note)
        self.assertRegex(note, r"unfinished +TestRO\.test")
        self.assertIn(f"{stats_path.name}: malformed LocustStatsList", note)
        page = self.report_path(note).read_text()
        self.assertIn("The run was interrupted", page)
        self.assertIn(stats_path.name, page)

    def test_never_raises(self):
        gone = self.run_dir()
        session = session_of(gone)
        shutil.rmtree(gone)
        self.assertRegex(write_run_report(session), r"^daist: no summary or report: RunLoadError: ")
        unwritable = session_of(self.run_dir())
        unwritable.result.directory = Path("/dev/null/nowhere")
        note = write_run_report(unwritable)
        self.assertIn("daist run passed", note)
        self.assertRegex(note.splitlines()[-1], r"^Report not written: \w+Error: ")
        unstarted = Session(settings=load_settings(environ={}), environ={})
        self.assertRegex(write_run_report(unstarted), r"^daist: no summary or report: ")
