import shutil
import tempfile
import unittest
from pathlib import Path

from daist.models.base import Format, FormatError, open_artifact
from daist.models.report import Report


class TestReport(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="daist-report-model-"))
        self.addCleanup(shutil.rmtree, self.dir)

    def test_html_round_trip_opens_by_classname(self):
        page = Report(text="<!DOCTYPE html><p>caf\u00e9 \u2603</p>\n")
        path = page.save(self.dir / Report.filename(tags=("standin",)))
        self.assertRegex(path.name, r"^Report-standin-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.html$")
        loaded = open_artifact(path)
        self.assertIsInstance(loaded, Report)
        self.assertEqual(loaded, page)
        self.assertEqual(path.read_bytes(), page.text.encode("utf-8"))

    def test_only_html(self):
        self.assertEqual(Report.default_format, Format.HTML)
        with self.assertRaises(FormatError):
            Report(text="x").save(self.dir / "Report-x.json")

    def test_never_overwrites_unless_asked(self):
        path = Report(text="one").save(self.dir / "Report-x.html")
        with self.assertRaises(FileExistsError):
            Report(text="two").save(path)
        Report(text="two").save(path, replace=True)
        self.assertEqual(Report.open(path).text, "two")


class TestLimitViolations(unittest.TestCase):
    def test_the_message_counts_and_shows_five_the_artifact_keeps_all(self):
        from daist.models.report import LimitViolations
        found = LimitViolations(violations=[f"get e{i}: p95 {100 + i}.0 ms > 50 ms (n=20)"
                                            for i in range(7)])
        self.assertEqual(found.message,
                         "7 limits broken: " + "; ".join(found.violations[:5])
                         + "; and 2 more (every limit is listed in the report)")
        self.assertEqual(LimitViolations(violations=["x"]).message, "1 limit broken: x")
        directory = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, directory)
        path = found.save(directory / LimitViolations.filename(tags=("TestRO.test",)))
        self.assertEqual(open_artifact(path), found)
