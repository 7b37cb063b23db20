"""Case 8: bad settings, bad combinations, bad test names and bad paths are rejected with one
line before anything starts (no results directory, no stand-in): a mistake in a setting that
only the last test reads must not surface hours into a run."""
import socket
import tempfile
import textwrap
import unittest
from pathlib import Path

from uts.harness import run_daist


class TestBadSettings(unittest.TestCase):
    def assertRejected(self, env, pattern, *, args=("daist.test_target",), status=2):
        output = Path(tempfile.mkdtemp())
        run = run_daist(*args, env=env, output=output)
        self.assertEqual(run.returncode, status, run.output)
        self.assertNotIn("Traceback", run.output)
        lines = run.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, run.stderr)
        self.assertRegex(lines[0], "^daist: error: " + pattern)
        self.assertEqual(list(output.iterdir()), [])        # nothing was written or started

    def test_user_counts(self):
        for raw in ("-1", "0", "100001", "99999999999999999999", "1e3", "ten"):
            with self.subTest(users=raw):
                self.assertRejected({"DAIST_LOCUST_USERS": raw},
                                    rf"environment variable DAIST_LOCUST_USERS: bad value '{raw}'")

    def test_other_values(self):
        cases = {"DAIST_LOCUST_RUN_TIME": ("-5", r"environment variable DAIST_LOCUST_RUN_TIME: bad value '-5'"),
                 "DAIST_LOCUST_SPAWN_RATE": ("nan", r"environment variable DAIST_LOCUST_SPAWN_RATE: bad value 'nan'"),
                 "DAIST_LOCUST_SHAPE": ("square", r"environment variable DAIST_LOCUST_SHAPE: bad value 'square': expected one of"),
                 "DAIST_METRICS_CONCURRENCY": ("4,x", r"environment variable DAIST_METRICS_CONCURRENCY: bad value '4,x'"),
                 "DAIST_LOG_STDOUT_LEVEL": ("CHATTY", r"environment variable DAIST_LOG_STDOUT_LEVEL: bad value 'CHATTY'"),
                 "PERF_RESULT_DB_PORT": ("70000", r"environment variable PERF_RESULT_DB_PORT: bad value '70000'"),
                 "DET_MASTER": ("ftp://master:8080", r"environment variable DET_MASTER: bad value 'ftp://master:8080'"),
                 "DAIST_LOCUST_RUN_TIME ": ("5 minutes", r"environment variable DAIST_LOCUST_RUN_TIME: bad value '5 minutes': expected a duration"),
                 "DAIST_LOCUST_USERZ": ("3", r"unknown environment variable DAIST_LOCUST_USERZ "
                                             r"\(did you mean DAIST_LOCUST_USERS\?\)")}
        for name, (raw, pattern) in cases.items():
            with self.subTest(name=name):
                self.assertRejected({name.strip(): raw}, pattern)

    def test_settings_a_test_package_reads(self):
        cases = [({"DAIST_LOCUST_SLO": "list:p95"}, r"\[locust\] slo: .*'p95'"),
                 ({"DAIST_METRICS_SLO": "write:p77=1"}, r"\[metrics\] slo: .*'p77'"),
                 ({"DAIST_LOCUST_SHAPE": "open"}, r"\[locust\] shape = open needs rate > 0"),
                 ({"DAIST_LOCUST_RUN_TIME": "1m", "DAIST_LOCUST_WARMUP": "60s"},
                  r"\[locust\] run_time must be longer than warmup"),
                 ({"DAIST_LOCUST_MASTER_BIND": "5557"}, r"environment variable DAIST_LOCUST_MASTER_BIND: bad value '5557': expected HOST:PORT"),
                 ({"DAIST_DETERMINED_RESOURCE_PROFILE": "ci"}, r"environment variable DAIST_DETERMINED_RESOURCE_PROFILE: no \[profile.ci\] section")]
        for env, pattern in cases:
            with self.subTest(env=env):
                self.assertRejected(env, pattern)

    def test_master_bind_port_in_use(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            self.assertRejected({"DAIST_LOCUST_WORKERS": "1", "DAIST_LOCUST_MASTER_BIND": f"127.0.0.1:{port}"},
                                rf"\[locust\] master_bind 127.0.0.1:{port}: cannot listen there: Address already in use$")

    def test_config_file_that_is_not_text(self):
        path = Path(tempfile.mkdtemp()) / "latin1.conf"
        path.write_bytes("[locust]\n# d\u00e9faut\n".encode("latin-1"))
        self.assertRejected({"DAIST_CONFIG": str(path)}, r"config file .*latin1.conf is not UTF-8 text")
        self.assertRejected({"DAIST_CONFIG": "/dev/zero"}, r"config file /dev/zero is larger than 256 KiB")

    def test_test_names_resolve_with_a_suggestion(self):
        self.assertRejected({}, r"no test named 'TestRo' \(did you mean daist.rest_api.test_locust.TestRO\?\)$",
                            args=("TestRo",))
        self.assertRejected({}, r"no test named 'daist.rest_api.test_locust.TestRo' \(did you mean "
                                r"daist.rest_api.test_locust.TestRO\?\)$",
                            args=("daist.rest_api.test_locust.TestRo",))

    def test_a_filter_that_selects_nothing_exits_5(self):
        self.assertRejected({}, r"no test matches daist.test_target -k nosuchtest", status=5,
                            args=("-k", "nosuchtest", "daist.test_target"))

    def test_unwritable_junit_path(self):
        blocker = Path(tempfile.mkdtemp()) / "a-file"
        blocker.write_text("")
        self.assertRejected({}, rf"--junit-xml {blocker}/junit.xml: cannot write there: Not a directory$",
                            args=("--junit-xml", f"{blocker}/junit.xml", "daist.test_target"))

    def test_config_file_errors_name_file_section_and_key(self):
        path = Path(tempfile.mkdtemp()) / "bad.conf"
        path.write_text(textwrap.dedent("""\
            [locust]
            users = -3
            """))
        self.assertRejected({"DAIST_CONFIG": str(path)},
                            r"bad.conf \[locust\] users: bad value '-3': expected an integer from 1 to 100000")


if __name__ == "__main__":
    unittest.main()
