"""Issue 12, item 6: the pip / uv processes that build ``__venv__`` get no daist secret."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from daist.framework import venv
from daist.models.environment import secret_names

SECRETS = {"DET_PASSWORD": "install-env-pw-1", "PERF_RESULT_DB_PASS": "install-env-db-2",
           "PGPASSWORD": "install-env-pg-3"}


class TestInstallEnvironment(unittest.TestCase):
    def test_the_mapping_holds_no_secret(self) -> None:
        environ = {**SECRETS, "PATH": "/usr/bin", "HTTPS_PROXY": "http://127.0.0.1:3128"}
        self.assertEqual(venv.install_environment(environ),
                         {"PATH": "/usr/bin", "HTTPS_PROXY": "http://127.0.0.1:3128"})

    def test_every_secret_daist_declares_is_hidden(self) -> None:
        # venv.py is stdlib-only and keeps its own list: it must not fall behind the settings
        self.assertLessEqual(secret_names(), set(venv.INSTALL_HIDDEN_VARIABLES))

    def test_an_installer_process_sees_none(self) -> None:
        with tempfile.TemporaryDirectory(prefix="uts-install-env-") as tmp, \
                mock.patch.dict(os.environ, {**SECRETS, "DAIST_NO_UV": "1",
                                             "UTS_INSTALL_MARK": "kept"}):
            installer = venv.Installer(Path(tmp), Path(tmp), announce=lambda _: None)
            status = installer.call([sys.executable, "-c",
                                     "import json, os; print(json.dumps(dict(os.environ)))"])
            self.assertEqual(status, 0)
            seen = json.loads(installer.log_path.read_text().splitlines()[-1])
        self.assertEqual(seen["UTS_INSTALL_MARK"], "kept")
        self.assertFalse(set(SECRETS) & set(seen), sorted(set(SECRETS) & set(seen)))
