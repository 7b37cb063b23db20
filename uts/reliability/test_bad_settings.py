"""Case 8: bad settings and bad environment values are rejected with the key named, before
anything starts (no results directory, no stand-in)."""
import tempfile
import textwrap
import unittest
from pathlib import Path

from uts.harness import run_daist


class TestBadSettings(unittest.TestCase):
    def assertRejected(self, env, pattern):
        output = Path(tempfile.mkdtemp())
        run = run_daist("daist.test_target", env=env, output=output)
        self.assertEqual(run.returncode, 2, run.output)
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
                 "DET_MASTER": ("master:8080", r"environment variable DET_MASTER: bad value 'master:8080'"),
                 "DAIST_LOCUST_USERZ": ("3", r"unknown environment variable DAIST_LOCUST_USERZ "
                                             r"\(did you mean DAIST_LOCUST_USERS\?\)")}
        for name, (raw, pattern) in cases.items():
            with self.subTest(name=name):
                self.assertRejected({name: raw}, pattern)

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
