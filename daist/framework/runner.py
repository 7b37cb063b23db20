"""The unittest program and runner of ``python -m daist``: standard unittest argument handling
(-v, -f, -b, -k all work), plus per-test verdicts recorded in the manifest as they happen and an
optional JUnit XML report."""
from __future__ import annotations

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
            report.status = "passed"
        self._record(test.id())
        for hook in self.session.after_test:
            try:
                hook(self.session, test.id())
            except Exception as exc:
                self.session.problems.append(str(exc))
                log.error("%s", exc)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._set(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "failed", err)

    def addError(self, test, err):
        super().addError(test, err)
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
        result.save_manifest()


class DaistTestRunner(unittest.TextTestRunner):
    resultclass = DaistTestResult

    def __init__(self, *, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session

    def _makeResult(self) -> DaistTestResult:
        return self.resultclass(self.stream, self.descriptions, self.verbosity,
                                session=self.session)

    def run(self, test):
        attach_session(test, self.session)
        try:
            return super().run(test)
        finally:
            attach_session(test, None)


class DaistTestProgram(unittest.TestProgram):
    """unittest.main with our runner; ``exit=False`` so the session can stop afterwards."""

    def __init__(self, *, argv: list[str], session: Session, stream) -> None:
        self.session = session
        self.stream = stream
        self.last_result: DaistTestResult | None = None
        super().__init__(module=None, argv=argv, exit=False)

    def runTests(self) -> None:
        runner = DaistTestRunner(session=self.session, stream=self.stream,
                                 verbosity=self.verbosity, failfast=self.failfast,
                                 buffer=self.buffer, warnings=self.warnings,
                                 tb_locals=self.tb_locals)
        self.result = runner.run(self.test)
        self.last_result = self.result


def write_junit_xml(path: Path, result: DaistTestResult, *, secrets: list[str],
                    name: str = "daist") -> None:
    reports = list(result.reports.values())
    suite = ElementTree.Element("testsuite", name=name, tests=str(len(reports)),
                                failures=str(sum(r.status == "failed" for r in reports)),
                                errors=str(sum(r.status == "error" for r in reports)),
                                skipped=str(sum(r.status == "skipped" for r in reports)),
                                time=f"{sum(r.duration_s for r in reports):.3f}")
    for report in reports:
        classname, _, method = report.test_id.rpartition(".")
        case = ElementTree.SubElement(suite, "testcase", classname=classname or report.test_id,
                                      name=method or report.test_id, time=f"{report.duration_s:.3f}")
        tag = {"failed": "failure", "error": "error", "skipped": "skipped",
               "unexpected_success": "failure"}.get(report.status)
        if tag:
            element = ElementTree.SubElement(case, tag, message=redact(report.message, secrets))
            element.text = redact(report.details, secrets)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500] or type(exc).__name__
