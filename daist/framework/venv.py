"""Create and enter ``__venv__``. Standard library only: it runs before the venv exists."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Mapping
from pathlib import Path

from daist.framework import paths

DIGEST_FILE = ".daist-requirements"
"""Digest of the files that declare dependencies, written after a successful install."""

INSTALL_LOG = "install.log"

EXTRAS = ("build", "test")
"""pyproject.toml's optional dependencies that the venv installs and the lock pins: building
the wheel, and what uts/ needs beyond the runtime (Hypothesis)."""

INSTALL_HIDDEN_VARIABLES = ("DET_PASSWORD", "PERF_RESULT_DB_PASS", "PGPASSWORD", "DET_DB_PASSWORD")
"""daist's secret variables (models.environment.secret_names(), which this stdlib-only module
cannot import): pip, uv and the build backends they run never need them."""


class VenvError(RuntimeError):
    """The virtual environment could not be created or updated."""


def install_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``environ`` without daist's secrets, for the installer processes."""
    return {k: v for k, v in environ.items() if k not in INSTALL_HIDDEN_VARIABLES}


def python_of(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


def is_active(venv_dir: Path = paths.VENV_DIR) -> bool:
    """Is this interpreter the venv's? Compare prefixes, not executables (symlinks differ)."""
    return Path(sys.prefix).resolve() == venv_dir.resolve()


LOCK_FILE = "requirements.lock"
"""Every dependency pinned with hashes, for this Python version: ``./make_venv.py --lock``."""
LOCK_MARK = "# daist-lock: "
"""First line of the lock: the Python version it was resolved for and the digest of the
pyproject.toml dependencies it was resolved from (a stale lock is not used)."""
LOCK_COMMAND = "./make_venv.py --lock"


def requirements_digest(root: Path = paths.ROOT) -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "setup.py", LOCK_FILE):
        path = root / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def dependencies_digest(root: Path) -> str | None:
    """A digest of what pyproject.toml asks for (dependencies and the ``EXTRAS``); None where
    Python has no tomllib (3.10): the lock is then not used."""
    try:
        import tomllib
    except ImportError:
        return None
    project = tomllib.loads((root / "pyproject.toml").read_text()).get("project", {})
    extras = project.get("optional-dependencies", {})
    wanted = [project.get("dependencies", []), *(extras.get(name, []) for name in EXTRAS),
              project.get("requires-python", "")]
    return hashlib.sha256(json.dumps(wanted).encode()).hexdigest()[:16]


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def lock_header(root: Path) -> str:
    return f"{LOCK_MARK}python {python_version()} dependencies {dependencies_digest(root)}"


def lock_state(root: Path) -> str:
    """'fresh', or why the lock cannot be used."""
    lock = root / LOCK_FILE
    if not lock.is_file():
        return f"no {LOCK_FILE}"
    first = lock.read_text().split("\n", 1)[0]
    if dependencies_digest(root) is None:
        return f"Python {python_version()} cannot check {LOCK_FILE} (no tomllib)"
    if first != lock_header(root):
        return (f"{LOCK_FILE} does not match pyproject.toml and Python {python_version()} "
                f"(regenerate it with {LOCK_COMMAND})")
    return "fresh"


def is_current(venv_dir: Path = paths.VENV_DIR, root: Path = paths.ROOT) -> bool:
    stamp = venv_dir / DIGEST_FILE
    return (python_of(venv_dir).exists() and stamp.is_file()
            and stamp.read_text().strip() == requirements_digest(root))


class Installer:
    """uv when it can be installed from PyPI (many times faster than pip), else pip. Output
    goes to the venv's install.log."""

    def __init__(self, venv_dir: Path, root: Path, announce) -> None:
        self.venv_dir, self.root, self.announce = venv_dir, root, announce
        self.log_path = venv_dir / INSTALL_LOG
        self.log_path.write_text("")
        self.uv = self._get_uv()

    def _get_uv(self) -> Path | None:
        if os.environ.get("DAIST_NO_UV"):
            return None
        for found in (self.venv_dir / "bin" / "uv", Path(sys.executable).parent / "uv",
                      shutil.which("uv")):
            if found and Path(found).is_file():
                return Path(found)
        started = time.monotonic()
        self.announce("daist: fetching uv from PyPI with pip (a fast installer)")
        uv = self.venv_dir / "bin" / "uv"
        if self.call([str(python_of(self.venv_dir)), "-m", "pip", "install", "--quiet",
                      "--disable-pip-version-check", "uv"]) != 0 or not uv.exists():
            self.announce("daist: uv is not installable here: installing with pip")
            return None
        self.announce(f"daist: uv ready in {time.monotonic() - started:.0f} s")
        return uv

    @property
    def name(self) -> str:
        return "uv" if self.uv else "pip"

    def install(self, args: list[str], what: str) -> None:
        started = time.monotonic()
        self.announce(f"daist: installing {what} with {self.name}")
        if self.uv:
            # --compile-bytecode as pip does: else the first run pays for compiling the imports
            command = [str(self.uv), "pip", "install", "--compile-bytecode", "--python",
                       str(python_of(self.venv_dir)), *args]
        else:
            command = [str(python_of(self.venv_dir)), "-m", "pip", "install",
                       "--disable-pip-version-check", *args]
        status = self.call(command)
        if status != 0:
            tail = self.log_path.read_text(errors="replace").splitlines()[-15:]
            raise VenvError(f"{self.name} install failed with status {status}; last lines of "
                            f"{self.log_path}:\n" + "\n".join(tail))
        self.announce(f"daist: installed {what} in {time.monotonic() - started:.0f} s")

    def call(self, command: list[str]) -> int:
        with open(self.log_path, "a") as log:
            log.write("$ " + " ".join(command) + "\n")
            log.flush()
            return subprocess.call(command, cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
                                   env=install_environment())


def ensure(*, venv_dir: Path = paths.VENV_DIR, root: Path = paths.ROOT, clear: bool = False,
           announce=print) -> Path:
    """Make the venv if it is missing, rebuild it with ``clear``, re-install daist (editable)
    and its dependencies when the declared dependencies changed: the pinned, hashed versions
    of the lock when it matches pyproject.toml, else freshly resolved ones. Returns the venv's
    python."""
    if clear or not python_of(venv_dir).exists():
        announce(f"daist: creating {venv_dir}")
        venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(venv_dir)
    if not is_current(venv_dir, root):
        announce(f"daist: installing daist and its dependencies into {venv_dir} "
                 f"(log: {venv_dir / INSTALL_LOG})")
        installer = Installer(venv_dir, root, announce)
        state = lock_state(root)
        if state == "fresh":
            installer.install(["--require-hashes", "-r", str(root / LOCK_FILE)],
                              f"the pinned dependencies of {LOCK_FILE}")
            installer.install(["--no-deps", "-e", str(root)], "daist (editable)")
        else:
            announce(f"daist: {state}: resolving the dependencies instead")
            installer.install(["-e", f"{root}[{','.join(EXTRAS)}]"],
                              "daist (editable) and its dependencies")
        (venv_dir / DIGEST_FILE).write_text(requirements_digest(root) + "\n")
    return python_of(venv_dir)


def write_lock(*, venv_dir: Path = paths.VENV_DIR, root: Path = paths.ROOT, announce=print) -> Path:
    """Resolve pyproject.toml's dependencies (and the ``EXTRAS``) for this Python into
    ``requirements.lock`` with hashes (``uv pip compile --generate-hashes``)."""
    if dependencies_digest(root) is None:
        raise VenvError(f"writing {LOCK_FILE} needs Python 3.11 or newer (tomllib)")
    if not python_of(venv_dir).exists():
        venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(venv_dir)
    installer = Installer(venv_dir, root, announce)
    if installer.uv is None:
        raise VenvError(f"writing {LOCK_FILE} needs uv (pip install uv)")
    lock = root / LOCK_FILE
    body = root / f".{LOCK_FILE}.tmp"
    extras = [arg for name in EXTRAS for arg in ("--extra", name)]
    status = installer.call([str(installer.uv), "pip", "compile", "pyproject.toml", *extras,
                              "--generate-hashes", "--no-header", "--python-version",
                              python_version(), "--quiet", "-o", str(body)])
    if status != 0:
        body.unlink(missing_ok=True)
        tail = installer.log_path.read_text(errors="replace").splitlines()[-15:]
        raise VenvError(f"uv pip compile failed with status {status}:\n" + "\n".join(tail))
    text = (f"{lock_header(root)}\n# Regenerate with {LOCK_COMMAND} after changing the "
            f"dependencies in pyproject.toml.\n" + body.read_text())
    body.unlink()
    lock.write_text(text)
    return lock


def reexec(args: list[str], *, venv_dir: Path = paths.VENV_DIR) -> None:
    """Replace this process with the venv's python running ``args``. Never returns."""
    python = str(python_of(venv_dir))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(python, [python, *args])


def bootstrap(args: list[str], *, announce=print) -> None:
    """Entry-point helper: ensure the venv, then run ``python args...`` inside it."""
    try:
        ensure(announce=announce)
    except (VenvError, OSError) as exc:
        print(f"daist: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    reexec(args)
