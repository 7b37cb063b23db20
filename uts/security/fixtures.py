"""Tests that ``python -m daist`` runs for the security tests (not collected by ./uts.py: no
``test_`` prefix)."""
from __future__ import annotations

import logging
import os

from daist.framework.testcase import DaistTestCase
from daist.models.base import TextDocument


class TestLeaksUrl(DaistTestCase):
    """Does what a library reading ``DET_MASTER`` itself might: logs the URL and fails with it."""

    def test_logs_and_raises_the_master_url(self) -> None:
        url = os.environ["DET_MASTER"]
        logging.getLogger("urllib3.connectionpool").warning("Retrying %s/api/v1/master", url)
        print(f"fixture: talking to {url}", flush=True)
        raise RuntimeError(f"could not reach {url}")


class TestStandinEnviron(DaistTestCase):
    """Saves the names (never the values) of the embedded stand-in's environment variables,
    with DET_MASTER's value when it has one."""

    def test_save_names(self) -> None:
        pid = self.session.target.process.pid
        with open(f"/proc/{pid}/environ", "rb") as handle:
            entries = [e.decode(errors="replace") for e in handle.read().split(b"\0") if e]
        names = sorted(entry.partition("=")[0] for entry in entries)
        master = [entry for entry in entries if entry.startswith("DET_MASTER=")]
        self.save(TextDocument("\n".join(names + master) + "\n"), tags=("standin_env",))
