"""``python -m daist.standin`` and the real ``det`` CLI against it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from daist.standin.launcher import StandinProcess

REPO = Path(__file__).resolve().parents[2]
DET = str(Path(sys.executable).parent / "det")


def _standin(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "daist.standin", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


class TestStandinCli(unittest.TestCase):
    def test_help(self) -> None:
        result = _standin("--help")
        self.assertEqual(result.returncode, 0)
        for option in ("--scale", "--latency", "--hang", "--drop-rate", "--exit-with-parent"):
            self.assertIn(option, result.stdout)

    def test_bad_values_give_one_line_and_exit_2(self) -> None:
        for args in (["--scale", "9"], ["--port", "x"], ["--latency", "soon"],
                     ["--error-rate", "2"], ["--hang", "("], ["--password", "nobody=x"],
                     ["--fault", "{nope"], ["--drop-rate", "every=0"], ["--hang", "(?>a+)+$"],
                     ["--error-rate", "seq=x-x"], ["--host", "0.0.0.0"]):
            with self.subTest(args=args):
                result = _standin(*args)
                self.assertEqual(result.returncode, 2)
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
                self.assertIn("error:", result.stderr)

    def test_prints_url_and_stops_on_sigint(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.Popen([sys.executable, "-m", "daist.standin", "--port", "0",
                                     "--ready-file", os.path.join(tmp, "ready")], cwd=REPO,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                line = proc.stdout.readline()
                self.assertRegex(line, r"serving at http://127\.0\.0\.1:\d+")
                proc.send_signal(signal.SIGINT)
                self.assertEqual(proc.wait(15), 0)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdout.close()
                proc.stderr.close()


class TestDetCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.process = StandinProcess(scale=10)
        cls.url = cls.process.start()
        cls.config = tempfile.TemporaryDirectory(prefix="standin-det-")
        cls.env = {**os.environ, "DET_DEBUG_CONFIG_PATH": cls.config.name}

    @classmethod
    def tearDownClass(cls) -> None:
        cls.process.stop()
        cls.config.cleanup()

    def det(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([DET, "-m", self.url, *args], input=stdin, capture_output=True,
                              text=True, timeout=60, env=self.env)

    def test_version(self) -> None:
        result = self.det("version")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("cluster_name: daist-standin", result.stdout)
        self.assertNotIn("Master not found", result.stdout + result.stderr)

    def test_login_then_list_experiments(self) -> None:
        login = self.det("user", "login", "admin", stdin="\n")
        self.assertEqual(login.returncode, 0, login.stderr)
        whoami = self.det("user", "whoami")
        self.assertIn("admin", whoami.stdout)
        listing = self.det("experiment", "list", "--all")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertIn("seeded-experiment-000010", listing.stdout)


if __name__ == "__main__":
    unittest.main()
