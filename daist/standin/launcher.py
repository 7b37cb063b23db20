"""Start a stand-in master in a subprocess (standard library only: cheap to import).

``StandinProcess`` runs ``python -m daist.standin`` in its own session, learns its URL from a
ready file, and stops it with SIGTERM (then SIGKILL). The child exits by itself when this
process dies (``--exit-with-parent`` plus PR_SET_PDEATHSIG), and after a stop a pass over
/proc kills any process that still carries this stand-in's ``DAIST_STANDIN_PID``, so no trial
survives.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Mapping, Sequence

STANDIN_CLUSTER_NAME = "daist-standin"
LOG_TAIL_LINES = 15
_POLL_S = 0.05
_SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|CREDENTIAL|_KEY$|^AWS_|^GOOGLE_APPLICATION")
"""Variables the stand-in is not given: it needs none (passwords come on stdin)."""


class StandinError(RuntimeError):
    """The stand-in could not be started or stopped; the message is one sentence."""


def control_headers(url: str, *, password: str = "", username: str = "admin",
                    timeout: float = 30) -> dict[str, str]:
    """An admin's ``Authorization`` header for the stand-in's /standin/ control endpoints."""
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/v1/auth/login", method="POST",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            token = json.load(response)["token"]
    except (OSError, ValueError, KeyError) as exc:
        raise StandinError(f"cannot log in to {url} as {username}: {exc}") from None
    return {"Authorization": f"Bearer {token}"}


def standin_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without credentials (DET_PASSWORD, PGPASSWORD, PERF_RESULT_DB_PASS...)."""
    return {key: value for key, value in environ.items() if not _SECRET_NAME.search(key.upper())}


def _fault_args(faults: Sequence[Any]) -> list[str]:
    """Fault specs as CLI options: ``"--latency=50@/api"``, ``"latency 50"``, ``("--hang",
    "/x")`` or a rule dict (sent as ``--fault JSON``)."""
    args: list[str] = []
    for spec in faults:
        if isinstance(spec, Mapping):
            args += ["--fault", json.dumps(dict(spec))]
            continue
        if isinstance(spec, (tuple, list)) and len(spec) == 2:
            option, value = str(spec[0]), str(spec[1])
        else:
            text = str(spec).strip()
            option, sep, value = text.partition("=")
            if not sep:
                option, _, value = text.partition(" ")
        args += [f"--{option.strip().lstrip('-')}", value.strip()]
    return args


def pdeathsig_preexec(sig: int) -> Any:
    """A preexec_fn that has the kernel send ``sig`` to the child when its parent thread
    dies (PR_SET_PDEATHSIG), or None where prctl is missing."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(1, sig)  # PR_SET_PDEATHSIG

    return preexec


def _marked_pids(marker: bytes) -> list[int]:
    """Live processes (not this one) whose environment holds ``marker`` as one entry."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()  # empty once a process has exited
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def reap_trials(standin_pid: int, *, timeout: float = 5.0) -> int:
    """SIGKILL every process whose environment names ``standin_pid`` and wait (at most
    ``timeout`` seconds) until none is left; returns how many were killed.

    A SIGKILLed process still shows its environment until the kernel has torn it down, and
    a trial may fork meanwhile, so the passes repeat until one finds nothing.
    """
    marker = f"DAIST_STANDIN_PID={standin_pid}".encode()
    killed: set[int] = set()
    spared: set[int] = set()  # not ours to kill (EPERM): not waited for either
    deadline = time.monotonic() + timeout
    while True:
        found = [pid for pid in _marked_pids(marker) if pid not in spared]
        if not found or time.monotonic() >= deadline:
            return len(killed)
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except PermissionError:
                spared.add(pid)
            except OSError:
                pass
        time.sleep(_POLL_S)


class StandinProcess:
    """``with StandinProcess(scale=20) as url: ...`` or ``start()`` / ``stop()``."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, scale: int = 10, seed: int = 0,
                 db: str | None = None, rbac: bool = False, faults: Sequence[Any] = (),
                 passwords: Mapping[str, str] | None = None, python: str = sys.executable,
                 log_path: str | None = None, startup_timeout: float = 60.0,
                 extra_args: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> None:
        self.host, self.port, self.scale, self.seed = host, port, scale, seed
        self.db, self.rbac, self.faults = db, rbac, list(faults)
        self.passwords = dict(passwords or {})
        self.python, self.startup_timeout = python, startup_timeout
        self.extra_args = list(extra_args)
        self.environ = environ
        """The stand-in's environment (default: this process's); daist passes one without its
        secrets, which the stand-in and its trials do not need."""
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._url: str | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str | None:
        return self._url

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def command(self, ready_file: str) -> list[str]:
        cmd = [self.python, "-m", "daist.standin", "--host", self.host, "--port", str(self.port),
               "--scale", str(self.scale), "--seed", str(self.seed), "--ready-file", ready_file,
               "--exit-with-parent", str(os.getpid())]
        if self.db:
            cmd += ["--db", self.db]
        if self.rbac:
            cmd.append("--rbac")
        if self.passwords:  # through stdin: a command line is visible to every local user
            cmd.append("--passwords-stdin")
        return cmd + _fault_args(self.faults) + self.extra_args

    def start(self) -> str:
        if self._proc is not None:
            raise StandinError("this stand-in was already started; make a new StandinProcess")
        self._tmp = tempfile.TemporaryDirectory(prefix="daist-standin-launch-")
        ready = os.path.join(self._tmp.name, "ready.json")
        if self.log_path is None:
            self.log_path = os.path.join(self._tmp.name, "standin.log")
        env = standin_environment(os.environ if self.environ is None else self.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([package_root] + [p for p in env.get(
            "PYTHONPATH", "").split(os.pathsep) if p])
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self.command(ready), stdin=subprocess.PIPE, stdout=log, stderr=log, env=env,
                start_new_session=True,
                preexec_fn=pdeathsig_preexec(signal.SIGTERM))  # SIGTERM: it still cleans up
        assert self._proc.stdin is not None
        try:
            if self.passwords:
                self._proc.stdin.write(json.dumps(self.passwords).encode() + b"\n")
            self._proc.stdin.close()
        except BrokenPipeError:
            pass  # it died at once; the loop below reports its log
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if os.path.exists(ready):
                with open(ready) as f:
                    self._url = json.load(f)["url"]
                return self._url
            if self._proc.poll() is not None:
                raise StandinError(f"the stand-in exited with code {self._proc.returncode} "
                                   f"before serving; log tail: {self._log_tail()}")
            time.sleep(_POLL_S)
        self.stop()
        raise StandinError(f"the stand-in did not serve within {self.startup_timeout:.0f}s; "
                           f"log tail: {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            lines = Path(self.log_path or "").read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(lines[-LOG_TAIL_LINES:]) or "(empty log)"

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, wait, SIGKILL; then kill any trial process left. Safe to call twice."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout)
        if proc is not None:
            reap_trials(proc.pid)
        if self._tmp is not None:  # the ready file, and the log unless the caller chose a path
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()
