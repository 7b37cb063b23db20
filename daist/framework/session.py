"""One run's state (Locust's ``Environment`` for daist): it owns the settings, the target, the
results directory and the ``Result`` manifest. Tests receive it; nothing else is global.
``daist.app`` hands it what lives above framework: the stand-in launcher, and the ``Events``
whose listeners upload and report (``events.test_stop``, ``events.run_stop``). ``start`` then ``stop`` (idempotent, also on failure and Ctrl-C), or use it as a context
manager."""
from __future__ import annotations

import enum
import errno
import functools
import importlib.metadata
import os
import platform
import shutil
import socket
from pathlib import Path
from typing import Mapping

import daist
from daist.framework.build_info import source_facts
from daist.framework.errors import DaistError, ResultsError
from daist.framework.events import Events
from daist.framework.log import LogSetup, get_logger, redact
from daist.framework.settings import Settings
from daist.framework.target import StandinLauncher, Target, host_label, open_target
from daist.models import environment
from daist.models.result import DeterminedVersion, Host, Result, Versions
from daist.models.timestamp import Timestamp

DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS})
"""Save failures that no later test can avoid: they end the run (exit 4)."""
RESERVE_FILE = ".daist-reserve"
RESERVE_BYTES = 256 * 1024
"""Space held from the start so the last manifest can still be saved on a full disk."""
LOG_FILE = "test_run.log"
STANDIN_LOG_FILE = "standin.log"
MIN_FREE_BYTES = 50 * 2**20
log = get_logger("session")


class SessionState(enum.Enum):
    NEW = "new"
    STARTED = "started"
    STOPPED = "stopped"


class SessionStateError(DaistError):
    """start() on a session that already started, or use before start()."""


class Session:
    def __init__(self, *, settings: Settings, command: str = "",
                 environ: Mapping[str, str] | None = None,
                 standin: StandinLauncher | None = None, events: Events | None = None) -> None:
        self.settings = settings
        self.events = events or Events()
        """What listens to this run (the upload after each test, the report at its end)."""
        self.standin = standin
        """Starts the embedded stand-in when no master is configured (given by ``daist.app``)."""
        self.command = command
        self.environ = dict(os.environ if environ is None else environ)
        self.state = SessionState.NEW
        self.result: Result | None = None
        self.target: Target | None = None
        self.logs = LogSetup()
        self.closing_notes: list[str] = []
        self.interrupted_by: int | None = None
        """The signal (SIGINT/SIGTERM) that is ending the run, if any."""
        self.shield_signals = False
        """Set once the end-of-run listeners are over: a signal then only notes itself, so the
        last manifest save and the console summary are never cut in half."""
        self.test_result = None
        """The runner's ``DaistTestResult`` once tests started (per-test reports for JUnit)."""
        self.disk_error: str | None = None
        """Set when saving results failed for want of disk (ENOSPC, EIO...): the run ends."""
        self.problems: list[str] = []
        """Non-fatal failures outside the tests (an upload) that make the exit status non-zero."""

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> Session:
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        interrupted = exc_type is not None and not issubclass(exc_type, Exception)
        error = str(exc) if isinstance(exc, Exception) else None
        self.stop(interrupted=interrupted, error=error)

    def start(self) -> None:
        if self.state is not SessionState.NEW:
            raise SessionStateError(f"the session was already {self.state.value}")
        self.state = SessionState.STARTED
        start_time = Timestamp.now()
        label = host_label(self.settings)
        directory = make_results_dir(self.results_root, label, start_time)
        self.result = result = Result(
            command=self.command, system=label,
            host=Host(determined=self.settings.determined.DET_MASTER),
            start_time=start_time, version=self._versions(),
            environment=environment.snapshot(self.environ), metadata=self._metadata(),
            directory=directory, host_label=label)
        _reserve(directory)
        self.logs.start(log_file=directory / LOG_FILE, file_level=self.settings.log.file_level,
                        stdout_level=self.settings.log.stdout_level,
                        secrets=self.secrets)
        result.record(LOG_FILE, classname=None)
        result.add(self.settings.to_config_file(), tags=("session",))
        log.info("daist %s, results in %s", daist.__version__, directory)
        self.target = open_target(self.settings, standin=self.standin,
                                  standin_log=directory / STANDIN_LOG_FILE)
        if self.target.embedded:
            result.record(STANDIN_LOG_FILE, classname=None)
        result.system = self.target.system
        result.host.determined = self.target.url
        result.version.determined.server = self.target.server_version
        result.metadata["cluster_name"] = self.target.cluster_name
        for key, value in self.target.standin.items():
            result.metadata[f"standin_{key}"] = value
        self.save_manifest()
        log.info("target: %s (%s, Determined %s)", self.target.url, self.target.system,
                 self.target.server_version or "version unknown")

    def stop(self, *, interrupted: bool = False, error: str | None = None) -> None:
        if self.state is SessionState.STOPPED:
            return
        if self.state is SessionState.NEW:
            self.state = SessionState.STOPPED
            return
        self.state = SessionState.STOPPED
        result = self.result
        error = redact(error, self.secrets) if error else error  # it is saved in the manifest
        if result is None:  # start() failed before the results directory existed
            self.logs.stop()
            return
        try:
            result.end_time = Timestamp.now()
            result.interrupted = result.interrupted or interrupted
            for record in result.tests.values():  # the test that was running when it ended
                if record.status in ("running", "interrupted"):
                    record.status = "interrupted" if result.interrupted else "error"
                    record.message = record.message or error or "the run ended during this test"
            result.error = error or result.error
            result.outcome.status = self._status()
            self.save_manifest()
            self.closing_notes += self.events.run_stop.fire_each(session=self,
                                                                on_error=_log_stop_error)
        finally:
            self.shield_signals = True
            try:
                if self.target is not None:
                    self.target.close()
            finally:
                if self.interrupted_by:  # also a signal during the report or the upload
                    result.interrupted = True
                    result.outcome.status = "interrupted"
                try:
                    self.save_manifest()
                finally:
                    self.logs.stop()
                    (result.directory / RESERVE_FILE).unlink(missing_ok=True)

    def save_manifest(self) -> None:
        """Save the manifest; a full disk or I/O error ends the run as ``ResultsError`` (exit
        4) after one retry in the space reserved at the start, so the manifest records it."""
        assert self.result is not None
        try:
            self.result.save_manifest()
            return
        except OSError as exc:
            if exc.errno not in DISK_ERRNOS:
                raise
            self.note_disk_error(exc, "the manifest")
        (self.results_dir / RESERVE_FILE).unlink(missing_ok=True)
        self.result.error = self.disk_error
        self.result.outcome.status = "error"
        try:
            self.result.save_manifest()
        except OSError:
            pass  # the one line on the console still says why
        raise ResultsError(self.disk_error)

    def note_disk_error(self, exc: OSError, what: str) -> bool:
        """Remember the first save that failed for want of disk; False for other errors."""
        if exc.errno not in DISK_ERRNOS:
            return False
        if self.disk_error is None:
            self.disk_error = (f"cannot save {what} in {self.result.directory if self.result else ''}: "
                               f"{exc.strerror or exc}; the run stops")
        return True

    # -- facts ----------------------------------------------------------------------------
    @property
    def results_dir(self) -> Path:
        if self.result is None or self.result.directory is None:
            raise SessionStateError("the session has not started")
        return self.result.directory

    @property
    def results_root(self) -> Path:
        return self.settings.results_root

    @functools.cached_property
    def secrets(self) -> list[str]:
        """Every secret value of this run, longest first (redaction replaces whole values).
        Settings and environment are fixed for the session, so this is computed once: the
        runner asks for it on every test record."""
        extra = environment.secret_values(self.environ)
        return sorted({*self.settings.secrets(), *extra}, key=len, reverse=True)

    def _status(self) -> str:
        assert self.result is not None
        outcome = self.result.outcome
        if self.result.interrupted:
            return "interrupted"
        if self.result.error:
            return "error"
        if outcome.failures or outcome.errors or outcome.unexpected_successes or self.problems:
            return "failed"
        return "passed"

    def _versions(self) -> Versions:
        return Versions(daist=daist.__version__,
                        determined=DeterminedVersion(client=_dist_version("determined")),
                        locust=_dist_version("locust"), python=platform.python_version())

    def _metadata(self) -> dict:
        source = source_facts()
        return {"hostname": socket.gethostname(), "cpu_count": os.cpu_count(),
                "platform": platform.platform(), "settings_digest": self.settings.digest,
                **source,
                "git_commit": self.environ.get("GIT_COMMIT") or source["git_commit"],
                "git_branch": self.environ.get("GIT_BRANCH") or source["git_branch"]}


def _log_stop_error(listener: object, exc: Exception) -> None:
    """A report must not cost the results: a failed ``run_stop`` listener is logged."""
    log.error("%s failed at the end of the run: %s", getattr(listener, "__name__", listener), exc)
    log.debug("details", exc_info=exc)


def make_results_dir(root: Path, label: str, start: Timestamp) -> Path:
    """Create ``<root>/<label>/<stamp>/`` (``<stamp>-2`` ... when another run took that second)
    and prove it is writable with room to spare, before any load starts."""
    parent = root / label
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot create the results directory {parent}: "
                           f"{exc.strerror or exc}") from None
    free = shutil.disk_usage(parent).free
    if free < MIN_FREE_BYTES:
        raise ResultsError(f"only {free // 2**20} MiB free under {parent}; daist needs at "
                           f"least {MIN_FREE_BYTES // 2**20} MiB for results")
    for counter in range(1, 1000):
        directory = parent / (start.path_stamp + (f"-{counter}" if counter > 1 else ""))
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise ResultsError(f"cannot create the results directory {directory}: "
                               f"{exc.strerror or exc}") from None
        _check_writable(directory)
        return directory
    raise ResultsError(f"no free results directory name under {parent} for {start.path_stamp}")


def _reserve(directory: Path) -> None:
    try:
        (directory / RESERVE_FILE).write_bytes(b"\0" * RESERVE_BYTES)
    except OSError as exc:
        raise ResultsError(f"cannot write to the results directory {directory}: "
                           f"{exc.strerror or exc}") from None


def _check_writable(directory: Path) -> None:
    probe = directory / ".write-test"
    try:
        probe.write_bytes(b"\0" * 65536)
        probe.unlink()
    except OSError as exc:
        raise ResultsError(f"cannot write to the results directory {directory}: "
                           f"{exc.strerror or exc}") from None


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""
