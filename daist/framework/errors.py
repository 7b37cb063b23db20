"""daist's error family. Each ``str()`` is one whole sentence for the user; ``exit_status`` is
what ``python -m daist`` exits with when the error ends a run."""
from __future__ import annotations


class DaistError(Exception):
    exit_status = 1


class ConfigError(DaistError):
    """A setting, the config file or the command line is wrong."""

    exit_status = 2


class TargetError(DaistError):
    """The master cannot be reached, refuses our credentials, or answers nonsense."""

    exit_status = 3


class ResultsError(DaistError):
    """The results directory cannot be created or written."""

    exit_status = 4


class UploadError(DaistError):
    """Results could not be uploaded to the perf-results database (local files are kept)."""

    exit_status = 1


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by the SIGTERM handler. A KeyboardInterrupt, because that is
    the one exception unittest lets escape a test: SIGTERM then ends a run as Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum
