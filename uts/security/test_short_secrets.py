"""Issue 12, item 6: redacting a very short secret must not reveal it. With ``DET_PASSWORD=0``
the log and console keep every ``0`` (a log with each ``0`` replaced tells its reader the
password); secrets of 4 to 7 characters are replaced only as whole tokens, longer ones
anywhere; URL credentials always."""
from __future__ import annotations

import unittest

from daist.models.redaction import REDACTED, Redactor
from uts.harness import remove_results, run_daist


class TestRedactor(unittest.TestCase):
    def test_secrets_shorter_than_four_characters_are_not_searched_for(self):
        text = "3 of 10 requests failed, 0 retries, p95 100.0 ms"
        self.assertEqual(Redactor(["0", "10", "ms "])(text), text)

    def test_short_secrets_are_replaced_as_whole_tokens_only(self):
        redact = Redactor(["test", "-x1-"])
        self.assertEqual(redact("test_locust tests: password=test, 'test'"),
                         f"test_locust tests: password={REDACTED}, '{REDACTED}'")
        self.assertEqual(redact("a-x1-b"), f"a{REDACTED}b")  # its own edges are not word characters

    def test_long_secrets_are_replaced_anywhere_and_urls_lose_credentials(self):
        redact = Redactor(["s3cret-pass", "s3cret"])
        self.assertEqual(redact("xs3cret-passy s3cret"), f"x{REDACTED}y {REDACTED}")
        self.assertEqual(redact("GET http://bob:s3cret-pass@h:1/x failed"),
                         f"GET http://{REDACTED}@h:1/x failed")


class TestShortPasswordRun(unittest.TestCase):
    def test_a_run_with_password_0_keeps_every_0_in_its_log_and_console(self):
        # The embedded stand-in requires this password, so the run really logs in with it.
        run = run_daist("daist.test_target", "-v", env={"DET_PASSWORD": "0"})
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        log = (run.results_dir / "test_run.log").read_text()
        self.assertIn(f"results in {run.results_dir}", log)        # its stamp holds 0s
        self.assertIn(str(run.results_dir), run.stdout)
        for where, text in (("test_run.log", log), ("console", run.output)):
            self.assertNotIn(REDACTED, text, where)


if __name__ == "__main__":
    unittest.main()
