"""Locust's flags (``-u -r -t -H``) on ``python -m daist``, short test names, and the notice a
run without names gives before it starts. No target is needed: the runs either stop before
anything starts or meet a closed port (exit 3)."""
import shutil
import socket
import tempfile
import unittest

from uts.framework.test_main import run_daist


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class TestFlags(unittest.TestCase):
    def test_flags_win_over_environment_and_show_their_source(self):
        shown = run_daist("--settings", "-u", "50", "--spawn-rate", "2.5", "-t", "5m",
                          "-H", "http://master.example:8080",
                          env={"DAIST_LOCUST_USERS": "3", "DET_MASTER": "http://other:8080"})
        self.assertEqual(shown.returncode, 0, shown.stderr)
        lines = shown.stdout.splitlines()
        for source, line in (("# option -u/--users", "users = 50"),
                             ("# option -r/--spawn-rate", "spawn_rate = 2.5"),
                             ("# option -t/--run-time", "run_time = 300"),
                             ("# option -H/--host", "DET_MASTER = http://master.example:8080")):
            self.assertIn(line, lines)
            self.assertEqual(lines[lines.index(line) - 1], source)

    def test_environment_applies_without_a_flag(self):
        shown = run_daist("--settings", env={"DAIST_LOCUST_USERS": "3"})
        self.assertIn("users = 3", shown.stdout.splitlines())

    def test_a_bad_flag_value_is_one_line_naming_the_flag(self):
        done = run_daist("-u", "0", "daist.test_target")
        self.assertEqual(done.returncode, 2)
        self.assertRegex(done.stderr, r"^daist: error: option -u/--users: bad value '0'")
        self.assertNotIn("Traceback", done.stderr)

    def test_help_shows_the_flags_with_their_settings(self):
        done = run_daist("--help")
        for text in ("-u N, --users N", "DAIST_LOCUST_USERS", "-r RATE, --spawn-rate RATE",
                     "-t TIME, --run-time TIME", "DAIST_LOCUST_RUN_TIME", "-H URL, --host URL",
                     "DET_MASTER"):
            self.assertIn(text, done.stdout)


class TestShortNames(unittest.TestCase):
    def test_an_unambiguous_short_name_runs_that_test_and_says_so(self):
        done = run_daist("--list", "TestRO")
        self.assertEqual(done.returncode, 0, done.stderr)
        said, listed = done.stdout.splitlines()
        self.assertEqual(said, "daist: TestRO is daist.rest_api.test_locust.TestRO")
        self.assertTrue(listed.startswith("daist.rest_api.test_locust.TestRO.test "), listed)

    def test_a_partly_qualified_name_resolves_too(self):
        done = run_daist("--list", "test_latency.Test")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("daist: test_latency.Test is daist.metrics.test_latency.Test", done.stdout)

    def test_an_ambiguous_name_lists_the_candidates_and_exits_2(self):
        done = run_daist("--list", "test")
        self.assertEqual(done.returncode, 2)
        self.assertEqual(done.stdout, "")
        self.assertRegex(done.stderr, r"^daist: error: test name 'test' is ambiguous: it names ")
        for candidate in ("daist.rest_api.test_locust.TestRO.test",
                          "daist.metrics.test_latency.Test.test"):
            self.assertIn(candidate, done.stderr)


class TestNoNames(unittest.TestCase):
    def setUp(self):
        output = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, output, ignore_errors=True)
        self.env = {"DAIST_EXEC_OUTPUT": output}

    def test_a_run_without_names_says_what_and_how_long_before_it_starts(self):
        done = run_daist("-k", "TestRO", "-u", "10", "-r", "5", "-t", "60",
                         "-H", closed_port_url(), env=self.env)
        self.assertEqual(done.returncode, 3, done.stderr)
        first = done.stdout.splitlines()[0]
        # 10 users at 5/s spawn in 2 s, then 60 s of load, and about 5 s around it
        self.assertEqual(first, "daist: no test names given, so these 1 cluster tests run: "
                                "TestRO.test; about 67 s by the settings. Name tests to run "
                                "fewer (--list shows them; -t/--run-time shortens each load).")

    def test_tests_that_will_skip_are_named(self):
        done = run_daist("-k", "TestVolume", "-H", closed_port_url(), env=self.env)
        self.assertIn("about 0 s by the settings (TestVolume.test will skip, as the settings "
                      "stand).", done.stdout.splitlines()[0])

    def test_tests_whose_time_the_cluster_decides_are_named(self):
        done = run_daist("-k", "test_latency", "-H", closed_port_url(),
                         env={**self.env, "DAIST_METRICS_TRIALS": "unmanaged"})
        self.assertIn("plus Test.test, TestPayload.test, whose time depends on the cluster",
                      done.stdout.splitlines()[0])


if __name__ == "__main__":
    unittest.main()
