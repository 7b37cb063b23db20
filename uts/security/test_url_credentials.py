"""Issue 12, item 6: ``DET_MASTER=http://user:pass@host`` is never written verbatim. A real run
against a stand-in reached through such a URL (plus a test that logs, prints and raises the
raw URL, as a library reading DET_MASTER might) leaves the credentials in no file of the
results directory and no console line; the URL recorded is the one without them."""
from __future__ import annotations

import unittest
from urllib.parse import urlsplit

from daist.framework.errors import ConfigError
from daist.framework.settings import load_settings
from daist.models import environment
from daist.models.config import ConfigFile
from uts.harness import StandinTestCase, files_containing, remove_results, run_daist

PASSWORD = "stand-in-pw-7Qx"
URL_USER, URL_PASSWORD = "proxyuser", "url-pw-K3vq9"
FIXTURE = "uts.security.fixtures.TestLeaksUrl"


class TestUrlCredentials(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def test_a_run_writes_no_url_credentials(self):
        port = urlsplit(self.url).port
        master = f"http://{URL_USER}:{URL_PASSWORD}@127.0.0.1:{port}"
        run = run_daist("daist.test_target", FIXTURE, "-v",
                        env={"DET_MASTER": master, "DET_PASSWORD": PASSWORD})
        self.addCleanup(remove_results, run)
        result = run.result
        self.assertEqual(result.outcome.tests_run, 2, run.output)
        self.assertEqual(result.tests["daist.test_target.TestTarget.test_master_answers"].status,
                         "passed", run.output)                 # the URL really was used
        self.assertEqual(result.tests[f"{FIXTURE}.test_logs_and_raises_the_master_url"].status,
                         "error")
        for needle in (URL_PASSWORD, f"{URL_USER}:"):
            self.assertEqual(files_containing(run.results_dir, needle), [], needle)
            self.assertNotIn(needle, run.output)
        bare = f"http://127.0.0.1:{port}"
        self.assertEqual(result.host.determined, bare)
        self.assertEqual(result.environment["DET_MASTER"], f"http://<redacted>@127.0.0.1:{port}")
        config = ConfigFile.open(result.files_of("ConfigFile")[0])
        self.assertEqual(config.sections["determined"]["DET_MASTER"], bare)
        self.assertIn("<redacted>@127.0.0.1", run.output)   # what the fixture printed and raised


class TestUrlPasswordsAreSecrets(unittest.TestCase):
    def test_the_password_in_det_master_is_redacted_alone_too(self):
        environ = {"DET_MASTER": "http://u:pa%40ss-9z@h:1", "DET_PASSWORD": "pw-1234"}
        self.assertEqual(sorted(environment.secret_values(environ)),
                         ["pa%40ss-9z", "pa@ss-9z", "pw-1234"])


class TestSettingsErrors(unittest.TestCase):
    def test_a_bad_master_url_is_shown_without_its_credentials(self):
        with self.assertRaises(ConfigError) as caught:
            load_settings(environ={"DET_MASTER": f"http://{URL_USER}:{URL_PASSWORD}@host:port"})
        message = str(caught.exception)
        self.assertIn("environment variable DET_MASTER: bad value 'http://<redacted>@host:port'",
                      message)
        self.assertNotIn(URL_PASSWORD, message)


if __name__ == "__main__":
    unittest.main()
