"""What needs agents or containers fails clearly: ``det cmd/notebook/shell/tensorboard``
against the stand-in exit non-zero with a "not supported by the stand-in" message."""
from __future__ import annotations

import unittest

from determined.common.api import bindings, errors
from determined.experimental import client

from uts.standin.det_cli import DetCli
from uts.standin.support import MasterTestCase, quiet


class TestContainersAreNotSupported(MasterTestCase):
    master_options = {"scale": 10}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.cli = DetCli(cls.url)
        cls.cli.login()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.cli.close()
        super().tearDownClass()

    def test_cli_launches_fail_with_a_clear_message(self) -> None:
        for args in (("cmd", "run", "echo", "hi"), ("shell", "start")):
            with self.subTest(args=args):
                result = self.cli.run(*args)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("not supported by the stand-in", result.stdout + result.stderr)

    def test_notebook_and_tensorboard_launches_and_kills_are_unimplemented(self) -> None:
        with quiet():
            session = client.Determined(self.url, "admin", "")._session
        for launch in (lambda: bindings.post_LaunchNotebook(
                           session, body=bindings.v1LaunchNotebookRequest()),
                       lambda: bindings.post_LaunchTensorboard(
                           session, body=bindings.v1LaunchTensorboardRequest(experimentIds=[1]))):
            with self.assertRaises(errors.APIException) as caught:
                launch()
            self.assertEqual(caught.exception.status_code, 501)
        command = bindings.get_GetCommands(session).commands[0]
        with self.assertRaises(errors.APIException) as caught:
            bindings.post_KillCommand(session, commandId=command.id)
        self.assertEqual(caught.exception.status_code, 501)
        self.assertIn("not supported by the stand-in", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
