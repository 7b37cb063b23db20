"""Create and enter ``__venv__``. Standard library only: it runs before the venv exists."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

from daist.framework import paths

DIGEST_FILE = ".daist-requirements"
"""Digest of the files that declare dependencies, written after a successful install."""

INSTALL_LOG = "install.log"


class VenvError(RuntimeError):
    """The virtual environment could not be created or updated."""


def python_of(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


def is_active(venv_dir: Path = paths.VENV_DIR) -> bool:
    """Is this interpreter the venv's? Compare prefixes, not executables (symlinks differ)."""
    return Path(sys.prefix).resolve() == venv_dir.resolve()


def requirements_digest(root: Path = paths.ROOT) -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "setup.py"):
        path = root / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def is_current(venv_dir: Path = paths.VENV_DIR, root: Path = paths.ROOT) -> bool:
    stamp = venv_dir / DIGEST_FILE
    return (python_of(venv_dir).exists() and stamp.is_file()
            and stamp.read_text().strip() == requirements_digest(root))


def ensure(*, venv_dir: Path = paths.VENV_DIR, root: Path = paths.ROOT, clear: bool = False,
           announce=print) -> Path:
    """Make the venv if it is missing, rebuild it with ``clear``, re-install daist (editable,
    with its dependencies) when the declared dependencies changed. Returns the venv's python."""
    if clear or not python_of(venv_dir).exists():
        announce(f"daist: creating {venv_dir} (first run: installing dependencies takes a minute or two)")
        venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(venv_dir)
    if not is_current(venv_dir, root):
        announce(f"daist: installing daist and its dependencies into {venv_dir} "
                 f"(log: {venv_dir / INSTALL_LOG})")
        _pip_install(venv_dir, root)
        (venv_dir / DIGEST_FILE).write_text(requirements_digest(root) + "\n")
    return python_of(venv_dir)


def _pip_install(venv_dir: Path, root: Path) -> None:
    log_path = venv_dir / INSTALL_LOG
    command = [str(python_of(venv_dir)), "-m", "pip", "install", "--disable-pip-version-check",
               "-e", f"{root}[build]"]
    with open(log_path, "w") as log:
        status = subprocess.call(command, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    if status != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        raise VenvError(f"pip install failed with status {status}; last lines of {log_path}:\n"
                        + "\n".join(tail))


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
