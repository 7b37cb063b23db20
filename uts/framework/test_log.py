import io
import logging
import tempfile
import unittest
from pathlib import Path

from daist.framework.log import LogSetup, RedactingStream, get_logger


class TestLogSetup(unittest.TestCase):
    def setUp(self):
        self.file = Path(tempfile.mkdtemp()) / "test_run.log"
        self.out, self.err = io.StringIO(), io.StringIO()
        self.setup = LogSetup()
        self.addCleanup(self.setup.stop)

    def start(self, **kwargs):
        kwargs.setdefault("file_level", "INFO")
        kwargs.setdefault("stdout_level", "WARNING")
        self.setup.start(log_file=self.file, stdout=self.out, stderr=self.err, **kwargs)

    def test_levels_go_where_they_belong(self):
        self.start()
        log = get_logger("t")
        log.debug("debug-line")
        log.info("info-line")
        log.warning("warning-line")
        log.error("error-line")
        text = self.file.read_text()
        self.assertNotIn("debug-line", text)
        for line in ("info-line", "warning-line", "error-line"):
            self.assertIn(line, text)
        self.assertNotIn("info-line", self.out.getvalue())
        self.assertIn("warning-line", self.out.getvalue())    # the original lost warnings
        self.assertNotIn("error-line", self.out.getvalue())
        self.assertIn("error-line", self.err.getvalue())

    def test_tracebacks_only_in_the_file(self):
        self.start()
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            get_logger().exception("it failed")
        self.assertIn("Traceback", self.file.read_text())
        self.assertIn("it failed", self.err.getvalue())
        self.assertNotIn("Traceback", self.err.getvalue())

    def test_secrets_are_redacted_everywhere(self):
        secret = "hunter2-§"
        self.start(secrets=[secret])
        log = get_logger()
        log.warning("password is %s", secret)
        try:
            raise ValueError(f"bad password {secret}")
        except ValueError:
            log.exception("login failed with %s", secret)
        everything = self.file.read_text() + self.out.getvalue() + self.err.getvalue()
        self.assertNotIn(secret, everything)
        self.assertIn("<redacted>", self.file.read_text())

    def test_restart_does_not_pile_up_handlers(self):
        before = len(logging.getLogger().handlers)
        self.start()
        self.start()
        self.assertEqual(len(logging.getLogger().handlers), before + 3)
        self.setup.stop()
        self.assertEqual(len(logging.getLogger().handlers), before)

    def test_file_lines_carry_utc_time_logger_and_level(self):
        self.start()
        get_logger("room").info("hello")
        self.assertRegex(self.file.read_text(),
                         r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z daist\.room INFO: hello")


class TestRedactingStream(unittest.TestCase):
    def test_writes_are_redacted(self):
        target = io.StringIO()
        stream = RedactingStream(target, ["s3cret"])
        stream.write("AssertionError: s3cret != x\n")
        self.assertEqual(target.getvalue(), "AssertionError: <redacted> != x\n")


if __name__ == "__main__":
    unittest.main()
