"""Case 9: with DET_PASSWORD and PERF_RESULT_DB_PASS set to unusual strings, no file under the
results directory and no console line contains them (tracebacks and the copied config
included)."""
import unittest

from daist.models.config import ConfigFile
from uts.harness import files_containing, run_daist

FIXTURES = "uts.framework.fixtures.cases"
SECRET = "pa$$ w0rd-☃-'\"`\\n"
DB_SECRET = "db§pass-😀%s{}"


class TestSecrets(unittest.TestCase):
    def test_secrets_never_reach_files_or_console(self):
        # The embedded stand-in requires this password, so the run really logs in with it, and
        # the fixture raises an exception whose text contains it.
        run = run_daist(f"{FIXTURES}.TestRaises", "-v",
                        env={"DET_PASSWORD": SECRET, "PERF_RESULT_DB_PASS": DB_SECRET,
                             "PGPASSWORD": DB_SECRET + "2", "DAIST_LOG_FILE_LEVEL": "DEBUG"})
        self.assertEqual(run.returncode, 1, run.output)
        result = run.result
        self.assertEqual(result.outcome.tests_run, 3)     # it really ran with the password
        self.assertIn("<redacted>", result.tests[f"{FIXTURES}.TestRaises.test_error"].message)
        self.assertIn("<redacted>", run.stderr)           # the traceback unittest printed
        for needle in (SECRET, DB_SECRET, DB_SECRET + "2"):
            self.assertEqual(files_containing(run.results_dir, needle), [])
            self.assertNotIn(needle, run.output)
        config = ConfigFile.open(result.files_of("ConfigFile")[0])
        self.assertEqual(config.sections["determined"]["DET_PASSWORD"], "<redacted>")
        self.assertEqual(config.sections["db"]["PERF_RESULT_DB_PASS"], "<redacted>")
        self.assertNotIn("PGPASSWORD", result.environment)


if __name__ == "__main__":
    unittest.main()
