"""Serving beyond loopback takes an explicit --allow-remote, and then warns."""
from __future__ import annotations

import contextlib
import io
import unittest

from daist.standin.cli import main
from daist.standin.options import StandinOptions, bind_problem, is_loopback
from daist.standin.server import StandinMaster

UNREACHABLE = "192.0.2.1"  # TEST-NET-1 (RFC 5737): never an address of this machine


class TestBind(unittest.TestCase):
    def test_the_cli_refuses_a_public_host_without_the_flag(self) -> None:
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), self.assertRaises(SystemExit) as exit_:
            main(["--host", "0.0.0.0", "--port", "0"])
        self.assertEqual(exit_.exception.code, 2)
        self.assertIn("--allow-remote", stderr.getvalue())
        self.assertEqual(len(stderr.getvalue().strip().splitlines()), 1)

    def test_the_python_api_refuses_too(self) -> None:
        with self.assertRaisesRegex(RuntimeError, "--allow-remote"):
            StandinMaster(host="0.0.0.0", port=0).start()

    def test_with_the_flag_it_warns_before_binding(self) -> None:
        master = StandinMaster(host=UNREACHABLE, port=0, allow_remote=True)
        with self.assertLogs("daist.standin", "WARNING") as logs, self.assertRaises(RuntimeError):
            master.start()  # binding a TEST-NET address fails: nothing is ever served
        master.stop()
        self.assertIn("no TLS", "\n".join(logs.output))

    def test_loopback_addresses(self) -> None:
        for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
            self.assertTrue(is_loopback(host), host)
            self.assertIsNone(bind_problem(StandinOptions(host=host)))
        for host in ("0.0.0.0", "::", "", "10.0.0.1", "example.com"):
            self.assertFalse(is_loopback(host), host)
            self.assertIsNotNone(bind_problem(StandinOptions(host=host)))
