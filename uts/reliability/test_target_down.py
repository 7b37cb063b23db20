"""Case 1: the target is down at start (connection refused; unresolvable host)."""
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from uts.harness import run_daist


def loopback_resolver() -> tuple[str, ...]:
    """A wrapper that runs the command in a private mount namespace whose /etc/resolv.conf
    names 127.0.0.1, so an unresolvable name fails without a DNS query leaving the machine."""
    if shutil.which("unshare") is None:
        raise unittest.SkipTest("unshare is missing (util-linux)")
    resolv = Path(tempfile.mkdtemp()) / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
    wrapper = ("unshare", "--mount", "--propagation", "private", "sh", "-c",
               f'mount --bind "{resolv}" /etc/resolv.conf && exec "$@"', "sh")
    if subprocess.run([*wrapper, "true"], capture_output=True).returncode != 0:
        raise unittest.SkipTest("a private mount namespace needs root; without one the "
                                "unresolvable-host case would send a DNS query off the machine")
    return wrapper


class TestTargetDown(unittest.TestCase):
    def assertTargetError(self, master, pattern, wrapper=()):
        run = run_daist("daist.test_target", env={"DET_MASTER": master}, wrapper=wrapper)
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
                               r"cannot reach the master at http://no-such-host.invalid:8080: "
                               r"host name 'no-such-host.invalid' does not resolve",
                               wrapper=loopback_resolver())


if __name__ == "__main__":
    unittest.main()
