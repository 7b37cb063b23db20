#!/usr/bin/env python3
"""Build daist's sdist and wheel into __dist__/ (PEP 517, ``python -m build``).

Install the wheel anywhere with ``pip install __dist__/daist-*.whl``; it carries its default
configuration (daist/config.d/config.conf).
"""
import os
import subprocess
import sys

from daist.framework import paths, venv

if __name__ == "__main__":
    try:
        python = venv.ensure()
    except (venv.VenvError, OSError) as exc:
        print(f"daist: error: {exc}", file=sys.stderr)
        sys.exit(1)
    # Byte-compiling is setuptools' default; a PYTHONDONTWRITEBYTECODE inherited from a CI
    # shell would only make it warn that it skips it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    status = subprocess.call([str(python), "-m", "build", "--outdir", str(paths.DIST_DIR),
                              str(paths.ROOT)], env=env)
    if status == 0:
        print(f"daist: built into {paths.DIST_DIR}:",
              ", ".join(sorted(p.name for p in paths.DIST_DIR.iterdir())))
    sys.exit(status)
