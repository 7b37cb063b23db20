"""Case 1: the target is down at start (connection refused; unresolvable host)."""
import unittest

from uts.harness import run_daist


class TestTargetDown(unittest.TestCase):
    def assertTargetError(self, master, pattern):
        run = run_daist("daist.test_target", env={"DET_MASTER": master})
        self.assertEqual(run.returncode, 3, run.output)
        self.assertNotIn("Traceback", run.output)
        errors = [line for line in run.stderr.splitlines() if line.strip()]
        self.assertEqual(len(errors), 1, run.stderr)
        self.assertRegex(errors[0], "^daist: error: " + pattern)
        result = run.result                       # a manifest saying why
        self.assertRegex(result.error, pattern)
        self.assertEqual(result.outcome.status, "error")
        self.assertEqual(result.outcome.tests_run, 0)
        self.assertIsNotNone(result.end_time)

    def test_connection_refused(self):
        self.assertTargetError("http://127.0.0.1:9",
                               r"cannot reach the master at http://127.0.0.1:9: connection refused")

    def test_unresolvable_host(self):
        self.assertTargetError("http://no-such-host.invalid:8080",
                               r"cannot reach the master at http://no-such-host.invalid:8080: host name "
                               r"'no-such-host.invalid' does not resolve")


if __name__ == "__main__":
    unittest.main()
