"""Whole runs of ``python -m daist`` against the stand-in: the manifest, the results layout,
secrets, failures, signals and concurrency."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from daist.models.base import Artifact, open_artifact
from daist.models.result import Result
from uts.harness import StandinTestCase, results_dir_of, run_daist, start_daist

FIXTURES = "uts.framework.fixtures.cases"


class TestPassingRun(StandinTestCase):
    def test_manifest_layout_and_artifacts(self):
        run = run_daist("daist.test_target", env={"DET_MASTER": self.url})
        self.assertEqual(run.returncode, 0, run.output)
        result = run.result
        self.assertEqual(run.results_dir.parent.name, "127.0.0.1")
        self.assertEqual(result.system, "standin")             # labelled even when configured
        self.assertEqual(result.host.determined, self.url)
        self.assertTrue(result.version.determined.server)
        self.assertEqual(result.version.determined.client, "0.38.1")
        self.assertEqual(result.outcome.status, "passed")
        self.assertEqual(result.outcome.tests_run, 1)
        self.assertIsNotNone(result.end_time)
        self.assertGreaterEqual(result.end_time, result.start_time)
        self.assertEqual(result.tests["daist.test_target.TestTarget.test_master_answers"].status, "passed")
        self.assertEqual(result.environment["DET_MASTER"], self.url)
        self.assertIn("test_run.log", result.files)
        for rel, meta in result.files.items():
            self.assertTrue((run.results_dir / rel).is_file(), rel)
            if meta.classname:
                self.assertIsInstance(open_artifact(run.results_dir / rel), Artifact)
        [info] = result.files_of("MasterInfo", test_id="daist.test_target.TestTarget.test_master_answers")
        self.assertTrue(info.name.startswith("MasterInfo-TestTarget.test_master_answers-"))
        self.assertEqual(len(result.files_of("ConfigFile")), 1)
        self.assertEqual(run.stdout.count(f"Results: {run.results_dir}"), 2)  # at start and end

    def test_junit_xml(self):
        import xml.etree.ElementTree as ElementTree
        junit = Path(tempfile.mkdtemp()) / "junit.xml"
        run = run_daist("--junit-xml", str(junit), f"{FIXTURES}.TestRaises",
                        env={"DET_MASTER": self.url})
        self.assertEqual(run.returncode, 1)
        suite = ElementTree.parse(junit).getroot().find("testsuite")
        self.assertEqual((suite.get("tests"), suite.get("failures"), suite.get("errors")), ("3", "1", "1"))
        failure = suite.find("testcase[@name='test_failure']/failure")
        self.assertIn("1234 ms exceeds 1000 ms", failure.get("message"))
        properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
        self.assertEqual((properties["system"], properties["target"]), ("standin", self.url))

    def test_junit_xml_names_fixture_errors_and_unreachable_targets(self):
        import xml.etree.ElementTree as ElementTree
        junit = Path(tempfile.mkdtemp()) / "junit.xml"
        run_daist("--junit-xml", str(junit), f"{FIXTURES}.TestSetUpClassFails",
                  env={"DET_MASTER": self.url})
        case = ElementTree.parse(junit).getroot().find("testsuite/testcase")
        self.assertEqual((case.get("classname"), case.get("name")),
                         (f"{FIXTURES}.TestSetUpClassFails", "setUpClass"))
        run = run_daist("--junit-xml", str(junit), "daist.test_target",
                        env={"DET_MASTER": "http://127.0.0.1:9"})
        self.assertEqual(run.returncode, 3)
        suite = ElementTree.parse(junit).getroot().find("testsuite")
        self.assertEqual((suite.get("tests"), suite.get("errors")), ("1", "1"))
        self.assertIn("connection refused", suite.find("testcase/error").get("message"))


class TestEmbeddedStandin(unittest.TestCase):
    def test_scale_seed_and_faults_reach_the_embedded_standin(self):
        run = run_daist("daist.test_target", env={
            "DAIST_STANDIN_SCALE": "15", "DAIST_STANDIN_SEED": "3",
            "DAIST_STANDIN_FAULTS": "--latency 30@^/api/v1/master$ --error-rate=0.5@/api/v1/agents"})
        self.assertEqual(run.returncode, 0, run.output)
        result = run.result
        self.assertEqual(run.results_dir.parent.name, "standin")
        self.assertEqual((result.system, result.metadata["standin_scale"],
                          result.metadata["standin_seed"]), ("standin", 15, 3))
        rules = result.metadata["standin_faults"]
        self.assertEqual(sorted(r["path"] for r in rules), ["/api/v1/agents", "^/api/v1/master$"])
        [info] = result.files_of("MasterInfo")
        self.assertGreaterEqual(Artifact.open(info).latency_ms, 30)  # the injected latency
        self.assertIn("standin.log", result.files)


class TestFailingRuns(StandinTestCase):
    def test_a_test_that_raises_leaves_a_valid_manifest(self):
        run = run_daist(f"{FIXTURES}.TestRaises", env={"DET_MASTER": self.url})
        self.assertEqual(run.returncode, 1, run.output)
        result = run.result
        self.assertEqual((result.outcome.tests_run, result.outcome.failures, result.outcome.errors),
                         (3, 1, 1))
        self.assertEqual(result.outcome.status, "failed")
        error = result.tests[f"{FIXTURES}.TestRaises.test_error"]
        self.assertEqual(error.status, "error")
        self.assertIn("the probe broke", error.message)
        self.assertIn("1234 ms exceeds", result.tests[f"{FIXTURES}.TestRaises.test_failure"].message)
        self.assertEqual(len(result.files_of("TextDocument")), 1)  # saved before the error

    def test_skipped_subtests_leave_a_passed_test(self):
        run = run_daist(f"{FIXTURES}.TestSubtestSkips", env={"DET_MASTER": self.url})
        self.assertEqual(run.returncode, 0, run.output)
        self.assertEqual(run.result.tests[f"{FIXTURES}.TestSubtestSkips.test_sizes"].status, "passed")
        self.assertEqual(run.result.outcome.status, "passed")

    def test_set_up_class_failure_is_recorded(self):
        run = run_daist(f"{FIXTURES}.TestSetUpClassFails", env={"DET_MASTER": self.url})
        self.assertEqual(run.returncode, 1)
        [(test_id, record)] = run.result.tests.items()
        self.assertIn("setUpClass", test_id)
        self.assertEqual((record.status, record.message), ("error", "no resources"))

    def test_unknown_test_name(self):
        output = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, output, ignore_errors=True)
        run = run_daist("daist.no_such_module", env={"DET_MASTER": self.url}, output=output)
        self.assertEqual(run.returncode, 2, run.output)
        self.assertEqual(run.stderr.strip(), "daist: error: no test named 'daist.no_such_module' "
                                             "(./run.py --list shows the tests)")
        self.assertEqual(list(output.iterdir()), [])  # nothing started



class TestSignals(StandinTestCase):
    def interrupt(self, signum, *, entry=("-m", "daist"), args=()):
        process, _ = start_daist(*args, f"{FIXTURES}.TestSleeps", env={"DET_MASTER": self.url},
                                 entry=entry)
        deadline = time.monotonic() + 90
        seen = ""
        while "fixture: sleeping" not in seen and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen += line
        self.assertIn("fixture: sleeping", seen)
        os.kill(process.pid, signum)
        stdout, stderr = process.communicate(timeout=60)
        directory = results_dir_of(seen + stdout)
        [manifest] = directory.glob("Result-*.json")
        result = Result.open(manifest)
        return process.returncode, result, stderr

    def test_sigint_keeps_results(self):
        status, result, stderr = self.interrupt(signal.SIGINT)
        self.assertEqual(status, 130)
        self.assertTrue(result.interrupted)
        self.assertEqual(result.outcome.status, "interrupted")
        self.assertIsNotNone(result.end_time)
        self.assertEqual(len(result.files_of("TextDocument")), 2)  # before the sleep and in finally
        self.assertNotIn("Traceback", stderr)

    def test_sigterm_keeps_results(self):
        import xml.etree.ElementTree as ElementTree
        junit = Path(tempfile.mkdtemp()) / "junit.xml"
        status, result, _ = self.interrupt(signal.SIGTERM, args=("--junit-xml", str(junit)))
        self.assertEqual(status, 143)
        self.assertTrue(result.interrupted)
        self.assertEqual(len(result.files_of("TextDocument")), 2)
        self.assertEqual(result.tests[f"{FIXTURES}.TestSleeps.test_sleep"].status, "interrupted")
        error = ElementTree.parse(junit).getroot().find("testsuite/testcase[@name='test_sleep']/error")
        self.assertIn("signal 15", error.get("message"))

    def test_sigint_to_run_py(self):
        run_py = str(Path(__file__).resolve().parents[2] / "run.py")
        status, result, _ = self.interrupt(signal.SIGINT, entry=(run_py,))
        self.assertEqual(status, 130)
        self.assertTrue(result.interrupted)


if __name__ == "__main__":
    unittest.main()
