"""The CLI without a target: argument handling and bad input (the run itself is tested in
test_session_runs against the stand-in)."""
import os
import subprocess
import sys
import unittest

from daist.framework import paths
from daist.framework.selection import normalize_test_names

PYTHON = sys.executable


def run_daist(*args, env=None, timeout=60):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DAIST_", "DET_"))}
    environ.update(env or {})
    return subprocess.run([PYTHON, "-m", "daist", *args], capture_output=True, text=True,
                          env=environ, timeout=timeout, cwd=paths.ROOT)


class TestTestNames(unittest.TestCase):
    def test_seed_readme_spellings(self):
        self.assertEqual(normalize_test_names(["uts.rest_api.test_locust.TestRO"]),
                         ["daist.rest_api.test_locust.TestRO"])
        self.assertEqual(normalize_test_names(["uts.metrics.test_latency.Test."]),
                         ["daist.metrics.test_latency.Test"])

    def test_resolving_names_imports_no_test_module(self):
        # test_locust imports Locust, which would monkey-patch this whole process with gevent
        done = subprocess.run([PYTHON, "-c", "import sys; from daist.framework.selection import "
                               "normalize_test_names as n; n(['uts.rest_api.test_locust.TestRO', "
                               "'uts.metrics.test_latency.Test.']); print(sorted(m for m in "
                               "sys.modules if m.startswith(('gevent', 'locust', 'daist.rest_api.test', "
                               "'daist.metrics.test'))))"], capture_output=True, text=True, cwd=paths.ROOT)
        self.assertEqual(done.stdout.strip(), "[]", done.stderr)

    def test_real_unit_test_modules_are_not_aliased(self):
        self.assertEqual(normalize_test_names(["uts.models.test_result"]), ["uts.models.test_result"])
        self.assertEqual(normalize_test_names(["-v", "daist.test_target"]), ["-v", "daist.test_target"])

    def test_no_names_discovers_the_package(self):
        argv = normalize_test_names(["-v", "-k", "TestRO"])
        self.assertEqual(argv[:3], ["discover", "-s", str(paths.PACKAGE_DIR)])
        self.assertEqual(argv[-3:], ["-v", "-k", "TestRO"])


class TestBadInput(unittest.TestCase):
    def assertOneLineError(self, done, pattern, status=2):
        self.assertEqual(done.returncode, status, done.stderr)
        self.assertNotIn("Traceback", done.stderr + done.stdout)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, done.stderr)
        self.assertRegex(lines[0], "^daist: error: " + pattern)

    def test_bad_environment_value(self):
        self.assertOneLineError(run_daist("daist.test_target", env={"DAIST_LOCUST_USERS": "many"}),
                                r"environment variable DAIST_LOCUST_USERS: bad value 'many'")

    def test_missing_config_file(self):
        self.assertOneLineError(run_daist("daist.test_target", env={"DAIST_CONFIG": "/no/such.conf"}),
                                r"config file /no/such.conf .* does not exist")

    def test_master_url_with_a_bad_scheme(self):
        self.assertOneLineError(run_daist(env={"DET_MASTER": "ftp://localhost:8080"}),
                                r"environment variable DET_MASTER: bad value 'ftp://localhost:8080'")

    def test_bad_unittest_option(self):
        self.assertOneLineError(run_daist("-x", "daist.test_target"),
                                r"bad arguments: unrecognized arguments: -x$")

    def test_help_and_settings(self):
        done = run_daist("--help")
        self.assertEqual(done.returncode, 0)
        self.assertIn("--junit-xml", done.stdout)
        shown = run_daist("--settings", env={"DET_PASSWORD": "pw-☂", "DAIST_LOCUST_USERS": "3"})
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("users = 3", shown.stdout)
        self.assertIn("# environment variable DAIST_LOCUST_USERS", shown.stdout)
        self.assertNotIn("pw-☂", shown.stdout + shown.stderr)


if __name__ == "__main__":
    unittest.main()
