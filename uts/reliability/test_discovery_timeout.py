"""Discovery obeys ``[locust] request_timeout``: a master that hangs on one discovery call
costs that timeout, not the client's default 15 s per call (a 3 s test once took 125 s)."""
import time
import unittest

from daist.framework.settings import load_settings
from daist.rest_api.resources import resolve
from uts.harness import StandinTestCase
from uts.rest_api.loadruns import PASSWORD, set_faults

DEFAULT_CLIENT_TIMEOUT_S = 15.0


class TestDiscoveryTimeout(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": PASSWORD}}

    def test_a_hanging_discovery_call_times_out_at_request_timeout(self):
        set_faults(self.url, [{"path": "^/api/v1/experiments$", "hang": True}])
        self.addCleanup(set_faults, self.url, [])
        settings = load_settings(environ={"DET_MASTER": self.url, "DET_PASSWORD": PASSWORD,
                                          "DAIST_LOCUST_REQUEST_TIMEOUT": "1"})
        started = time.monotonic()
        profile = resolve(settings, self.url)
        elapsed = time.monotonic() - started
        self.assertTrue(any("no answer before the timeout" in note for note in profile.notes),
                        profile.notes)
        # one hung call at the 1 s request timeout; the client's default would alone take 15 s
        self.assertLess(elapsed, DEFAULT_CLIENT_TIMEOUT_S)


if __name__ == "__main__":
    unittest.main()
