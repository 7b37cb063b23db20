"""The unittest runner of ``python -m daist`` (``daist.framework.main`` reads the arguments):
per-test verdicts recorded in the manifest as they happen, and an optional JUnit XML report."""
from __future__ import annotations

import re
import sys
import time
import traceback
import unittest
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from daist.framework.log import get_logger, redact
from daist.framework.session import Session
from daist.framework.testcase import attach_session
from daist.models.result import TestRecord

log = get_logger("runner")


@dataclass
class CaseReport:
    """One test's verdict with the full text unittest printed, for JUnit XML."""

    test_id: str
    status: str = "running"
    duration_s: float = 0.0
    message: str = ""
    details: str = ""
    started: float = field(default_factory=time.monotonic)


class DaistTestResult(unittest.TextTestResult):
    def __init__(self, stream, descriptions, verbosity, *, session: Session, **kwargs: Any) -> None:
        super().__init__(stream, descriptions, verbosity, **kwargs)
        self.session = session
        self.reports: dict[str, CaseReport] = {}

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self.reports[test.id()] = CaseReport(test.id())
        self._record(test.id())

    def stopTest(self, test: unittest.TestCase) -> None:
        super().stopTest(test)
        report = self.reports.setdefault(test.id(), CaseReport(test.id()))
        report.duration_s = time.monotonic() - report.started
        if report.status == "running":
            # No verdict: a signal ended the test (the session adds why when it stops; the
            # KeyboardInterrupt is still propagating through unittest's finally), or a skipped
            # subtest made unittest skip addSuccess for a test that otherwise passed.
            signalled = self.session.interrupted_by or isinstance(sys.exc_info()[1], KeyboardInterrupt)
            report.status = "interrupted" if signalled else "passed"
        self._record(test.id())
        self.session.events.test_stop.fire_each(session=self.session, test_id=test.id(),
                                                on_error=self._test_stop_error)

    def _test_stop_error(self, listener: object, exc: Exception) -> None:
        """A failed upload is a problem of the run (exit 1), not of the test."""
        self.session.problems.append(str(exc))
        log.error("%s", exc)

    def _exc_info_to_string(self, err, test) -> str:
        """A failed check prints its message, not the traceback of ``self.fail``: a verdict is
        no bug. Errors keep their traceback."""
        failure = getattr(test, "failureException", None)  # None for a fixture's _ErrorHolder
        if isinstance(failure, type) and err[0] is not None and issubclass(err[0], failure):
            return f"{err[0].__name__}: {err[1]}\n"
        return super()._exc_info_to_string(err, test)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._set(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "failed", err)

    def addError(self, test, err):
        super().addError(test, err)
        if isinstance(err[1], OSError) and self.session.note_disk_error(err[1], "an artifact"):
            self.errors[-1] = (test, f"{err[1]}\n")  # a full disk is no bug: no traceback
            self.stop()  # every later save would fail too
        self._set(test, "error", err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, "skipped", message=reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._set(test, "expected_failure", err)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, "unexpected_success")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._set(test, "failed" if failed else "error", err)

    def _set(self, test, status: str, err=None, message: str = "") -> None:
        started = test.id() in self.reports
        report = self.reports.setdefault(test.id(), CaseReport(test.id()))
        if report.status in ("failed", "error") and status == "passed":
            return  # a failed subtest already decided
        report.status = status
        if err is not None:
            report.message = _one_line(err[1])
            report.details = "".join(traceback.format_exception(*err))
        elif message:
            report.message = message
        if not started:  # class and module fixture errors arrive without startTest
            report.duration_s = 0.0
            self._record(test.id())

    def _record(self, test_id: str) -> None:
        result = self.session.result
        if result is None:
            return
        report = self.reports[test_id]
        secrets = self.session.secrets
        result.tests[test_id] = TestRecord(status=report.status,
                                           duration_s=round(report.duration_s, 3),
                                           message=redact(report.message, secrets))
        outcome = result.outcome
        outcome.tests_run = self.testsRun
        outcome.failures = len(self.failures)
        outcome.errors = len(self.errors)
        outcome.skipped = len(self.skipped)
        outcome.expected_failures = len(self.expectedFailures)
        outcome.unexpected_successes = len(self.unexpectedSuccesses)
        self.session.save_manifest()


class DaistTestRunner(unittest.TextTestRunner):
    resultclass = DaistTestResult

    def __init__(self, *, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session

    def _makeResult(self) -> DaistTestResult:
        result = self.resultclass(self.stream, self.descriptions, self.verbosity,
                                  session=self.session)
        self.session.test_result = result  # so an interrupted run can still report its tests
        return result

    def run(self, test):
        attach_session(test, self.session)
        try:
            return super().run(test)
        finally:
            attach_session(test, None)


JUNIT_STATUS = {"failed": "failure", "unexpected_success": "failure", "error": "error",
                "interrupted": "error", "running": "error", "skipped": "skipped"}
_FIXTURE_ID = re.compile(r"^(?P<fixture>\w+) \((?P<where>.+)\)$")


def write_junit_xml(path: Path, session: Session) -> None:
    """JUnit XML of the run's tests, with the run's facts as suite properties. A run that never
    reached its tests (target down) or was interrupted still gets a file that says so."""
    reports = list(session.test_result.reports.values()) if session.test_result else []
    result = session.result
    if result is not None:  # the manifest knows how an interrupted test ended
        for report in reports:
            record = result.tests.get(report.test_id)
            if record is not None and report.status in ("running", "interrupted"):
                report.status, report.message = record.status, record.message
        if result.error and not reports:
            reports.append(CaseReport("daist.session", status="error", message=result.error))
    secrets = session.secrets
    counts = {tag: sum(JUNIT_STATUS.get(r.status) == tag for r in reports)
              for tag in ("failure", "error", "skipped")}
    suite = ElementTree.Element("testsuite", name="daist", tests=str(len(reports)),
                                failures=str(counts["failure"]), errors=str(counts["error"]),
                                skipped=str(counts["skipped"]),
                                time=f"{sum(r.duration_s for r in reports):.3f}")
    if result is not None:
        properties = ElementTree.SubElement(suite, "properties")
        for name, value in (("system", result.system), ("target", result.host.determined),
                            ("determined_server", result.version.determined.server),
                            ("daist", result.version.daist), ("status", result.outcome.status),
                            ("results_dir", str(result.directory or ""))):
            ElementTree.SubElement(properties, "property", name=name, value=redact(value, secrets))
    for report in reports:
        classname, name = _junit_names(report.test_id)
        case = ElementTree.SubElement(suite, "testcase", classname=classname, name=name,
                                      time=f"{report.duration_s:.3f}")
        tag = JUNIT_STATUS.get(report.status)
        if tag:
            element = ElementTree.SubElement(case, tag, message=redact(report.message, secrets))
            element.text = redact(report.details, secrets)
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _junit_names(test_id: str) -> tuple[str, str]:
    """'pkg.mod.Class.test' -> ('pkg.mod.Class', 'test'); a fixture error such as
    'setUpClass (pkg.mod.Class)' -> ('pkg.mod.Class', 'setUpClass')."""
    fixture = _FIXTURE_ID.match(test_id)
    if fixture:
        return fixture["where"], fixture["fixture"]
    classname, _, name = test_id.rpartition(".")
    return (classname, name) if classname else (test_id, test_id)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500] or type(exc).__name__
