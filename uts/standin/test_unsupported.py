"""What needs a task container fails clearly: ``det notebook/shell/tensorboard`` against the
stand-in exit non-zero with a "not supported by the stand-in" message (commands run:
``test_commands``)."""
from __future__ import annotations

import unittest

from determined.common.api import bindings, errors

from uts.standin.det_cli import ClientTestCase


class TestContainersAreNotSupported(ClientTestCase):
    uses_cli = True

    def test_cli_launches_fail_with_a_clear_message(self) -> None:
        for args in (("shell", "start"),):
            with self.subTest(args=args):
                result = self.cli.run(*args)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("not supported by the stand-in", result.stdout + result.stderr)

    def test_notebook_and_tensorboard_launches_and_kills_are_unimplemented(self) -> None:
        session = self.session
        for launch in (lambda: bindings.post_LaunchNotebook(
                           session, body=bindings.v1LaunchNotebookRequest()),
                       lambda: bindings.post_LaunchTensorboard(
                           session, body=bindings.v1LaunchTensorboardRequest(experimentIds=[1]))):
            with self.assertRaises(errors.APIException) as caught:
                launch()
            self.assertEqual(caught.exception.status_code, 501)
            self.assertIn("not supported by the stand-in", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
