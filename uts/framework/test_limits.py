"""The open-files limit: raised to the hard limit at start, and a warning when the users of
one process would need more than it allows (Locust's CLI raises it too)."""
import resource
import subprocess
import sys
import unittest

from daist.framework import paths
from daist.framework.limits import open_files_warning


def limited(soft: int, hard: int):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def run_limited(args, *, soft=256, hard=1024, env=None):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=paths.ROOT,
                          preexec_fn=limited(soft, hard), env=env, timeout=60)


class TestOpenFilesLimit(unittest.TestCase):
    def test_soft_limit_is_raised_to_the_hard_limit(self):
        done = run_limited(["-c", "import resource; from daist.framework.limits import "
                            "raise_open_files_limit as r; print(r(), "
                            "resource.getrlimit(resource.RLIMIT_NOFILE)[0])"])
        self.assertEqual(done.stdout.split(), ["1024", "1024"], done.stderr)

    def test_users_beyond_the_limit_are_announced_before_the_run(self):
        env = {"DAIST_LOCUST_USERS": "1500", "PATH": "/usr/bin:/bin"}
        done = run_limited(["-m", "daist", "--list", "daist.test_target"], env=env)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr, "daist: warning: 1500 users per process need about 3100 "
                                      "open files but the limit is 1024 (ulimit -n, hard limit "
                                      "included): expect 'Too many open files' failures; raise "
                                      "the hard limit or spread the users over [locust] workers\n")
        quiet = run_limited(["-m", "daist", "--list", "daist.test_target"],
                            env={**env, "DAIST_LOCUST_USERS": "400"})
        self.assertEqual(quiet.stderr, "")

    def test_workers_share_the_users(self):
        self.assertIsNone(open_files_warning(1500 // 4, 1024))
        self.assertIsNotNone(open_files_warning(1500, 1024))


if __name__ == "__main__":
    unittest.main()
