"""Case 3: the target restarts in the middle of a load test: failures are recorded, the run
continues and completes, and its results are saved."""
from __future__ import annotations

import time
import unittest

from daist.standin.launcher import StandinProcess
from uts.harness import DaistRun, remove_results, results_dir_of, start_daist
from uts.rest_api.loadruns import (MODULE, PASSWORD, free_port, load_env, stats_of,
                                   users_logged_in, wait_for)


class TestTargetRestart(unittest.TestCase):
    def test_run_survives_a_restart_of_the_target(self):
        port = free_port()
        options = {"port": port, "scale": 10, "passwords": {"admin": PASSWORD}}
        first = StandinProcess(**options)
        url = first.start()
        second = None
        try:
            process, _ = start_daist(f"{MODULE}.TestRO",
                                     env=load_env(url, run_time=12, samples="true"))
            wait_for(users_logged_in(url, 4), timeout=60, what="the users' logins",
                     process=process)
            # the 12-s window leaves the new stand-in ~9 s to start and the users to log in
            # again: a start under a busy machine takes 1-3 s
            time.sleep(1.0)
            first.stop()
            down = time.time()
            time.sleep(1.0)
            second = StandinProcess(**options)
            self.assertEqual(second.start(), url)
            up = time.time()
            stdout, stderr = process.communicate(timeout=90)
        finally:
            first.stop()
            if second is not None:
                second.stop()
        run = DaistRun(process.returncode, stdout, stderr, results_dir_of(stdout))
        self.addCleanup(remove_results, run)
        self.assertIn(run.returncode, (0, 1), run.output)
        self.assertFalse(run.result.interrupted)
        stats = stats_of(run, "TestRO")
        self.assertFalse(stats.run.interrupted)
        self.assertGreater(stats.num_failures, 0)
        messages = " ".join(m for e in stats.entries for m in e.failures)
        self.assertRegex(messages, r"(?i)refused|reset|closed|connection")
        (samples,) = run.result.files_of("LocustSamples")
        after = [line for line in samples.read_text().splitlines()[1:]
                 if float(line.split(",")[2]) > up and line.endswith(",1")]
        self.assertGreater(len(after), 10, f"no successful request after the restart at {up}"
                                           f" (down at {down})")


if __name__ == "__main__":
    unittest.main()
