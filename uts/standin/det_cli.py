"""The real ``det`` CLI of the venv, run as a subprocess against one stand-in master, and a
test base class with the SDK and the CLI logged in."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from determined.experimental import client

from uts.standin.support import MasterTestCase, quiet

DET = str(Path(sys.executable).parent / "det")
TIMEOUT_S = 60


class DetCli:
    """``det -m URL ...`` with its own token store; ``login()`` once, then ``run(...)``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._config = tempfile.TemporaryDirectory(prefix="standin-det-")
        self.env = {**os.environ, "DET_DEBUG_CONFIG_PATH": self._config.name}
        for name in ("DET_USER", "DET_PASS", "DET_MASTER", "DET_USER_TOKEN"):
            self.env.pop(name, None)

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([DET, "-m", self.url, *args], input=stdin, capture_output=True,
                              text=True, timeout=TIMEOUT_S, env=self.env)

    def ok(self, *args: str, stdin: str = "") -> str:
        """stdout of a command that must succeed (else AssertionError with its stderr)."""
        result = self.run(*args, stdin=stdin)
        if result.returncode != 0:
            raise AssertionError(f"det {' '.join(args)} exited {result.returncode}: "
                                 f"{result.stderr.strip()[-600:]}")
        return result.stdout

    def login(self, username: str = "admin", password: str = "") -> None:
        self.ok("user", "login", username, stdin=password + "\n")

    def close(self) -> None:
        self._config.cleanup()


class ClientTestCase(MasterTestCase):
    """A stand-in per class with the real SDK logged in as admin (``det``, ``session``) and,
    when ``uses_cli``, a logged-in ``det`` CLI (``cli``)."""

    master_options: dict[str, Any] = {"scale": 10}
    uses_cli = False

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        with quiet():
            cls.det = client.Determined(cls.url, "admin", "")
        cls.session = cls.det._session
        if cls.uses_cli:
            cls.cli = DetCli(cls.url)
            cls.cli.login()

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.uses_cli:
            cls.cli.close()
        super().tearDownClass()

    def sdk_as(self, username: str) -> client.Determined:
        with quiet():
            return client.Determined(self.url, username, "")
