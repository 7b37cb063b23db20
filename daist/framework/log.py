"""Logging for a run: ``test_run.log`` in the results directory, the console split into stdout
(info and warnings) and stderr (errors), and a redaction filter so no secret value reaches either.

Nothing happens on import; ``LogSetup.start`` installs handlers on the root logger (so Locust's and
the SDK's records land in the same file) and ``stop`` removes exactly what it added.
"""
from __future__ import annotations

import io
import logging
import sys
import time
from pathlib import Path
from typing import Iterable, TextIO

from daist.framework.pipes import silence
from daist.framework.progress import console_write
from daist.models.redaction import Redactor
from daist.models.terminal import for_terminal

LOGGER_NAME = "daist"
FILE_FORMAT = "%(asctime)s %(name)s %(levelname)s: %(message)s"
CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` without the secret values and URL credentials (``daist.models.redaction``)."""
    return Redactor(secrets)(text)


class RedactFilter(logging.Filter):
    """Replaces secret values and URL credentials in the message and in any formatted
    traceback (every record: a URL with credentials may come from any library)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class RedactingStream(io.TextIOBase):
    """A console stream wrapper that redacts secrets from everything written through it
    (unittest's tracebacks, stray prints, the run's closing summary) and shows control
    characters escaped (``for_terminal``)."""

    def __init__(self, stream: TextIO, secrets: Iterable[str]) -> None:
        self.stream = stream
        self.redact = Redactor(secrets)

    def write(self, text: str) -> int:
        try:
            self.stream.write(for_terminal(self.redact(text)))
        except BrokenPipeError:  # the reader stopped early (| head): the run goes on unseen
            silence(self.stream)
        return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            silence(self.stream)

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")


class _BelowLevel(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < self.level


class _UtcFormatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


class _ConsoleFormatter(logging.Formatter):
    """Short console lines; tracebacks stay in the log file."""

    def __init__(self) -> None:
        super().__init__(CONSOLE_FORMAT, datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            return for_terminal(super().format(record))
        finally:
            record.exc_info, record.exc_text = saved


class _ConsoleHandler(logging.StreamHandler):
    """A console handler that writes above a live progress line, never into it."""

    def emit(self, record: logging.LogRecord) -> None:
        with console_write(self.stream):
            super().emit(record)


class _RunLogFile(logging.FileHandler):
    """test_run.log; when the disk fills up it stops writing instead of printing a logging
    traceback for every record (the run itself reports the full disk in one line)."""

    failed = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        self.failed = True


class LogSetup:
    """Owns the handlers of one run."""

    def __init__(self) -> None:
        self.handlers: list[logging.Handler] = []
        self.saved_level: int | None = None

    def start(self, *, log_file: Path | None, file_level: str = "INFO",
              stdout_level: str = "INFO", secrets: Iterable[str] = (),
              stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stop()
        redactor = RedactFilter(secrets)
        out = _ConsoleHandler(stdout or sys.stdout)
        out.setLevel(stdout_level)
        out.addFilter(_BelowLevel(logging.ERROR))
        err = _ConsoleHandler(stderr or sys.stderr)
        err.setLevel(logging.ERROR)
        for handler in (out, err):
            handler.setFormatter(_ConsoleFormatter())
        self.handlers = [out, err]
        if log_file is not None:
            to_file = _RunLogFile(log_file, encoding="utf-8")
            to_file.setLevel(file_level)
            to_file.setFormatter(_UtcFormatter(FILE_FORMAT))
            self.handlers.append(to_file)
        root = logging.getLogger()
        self.saved_level = root.level
        root.setLevel(min(logging.getLevelName(file_level), logging.getLevelName(stdout_level)))
        for handler in self.handlers:
            handler.addFilter(redactor)
            root.addHandler(handler)

    def stop(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        self.handlers = []
        if self.saved_level is not None:
            root.setLevel(self.saved_level)
            self.saved_level = None


def get_logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)
