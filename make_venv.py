#!/usr/bin/env python3
"""Create __venv__ with daist installed editable and all its dependencies.

Idempotent: re-runs only re-install when pyproject.toml, setup.py or requirements.lock changed.
Installs with uv when pip can fetch it from PyPI (else with pip), the pinned and hashed versions
of requirements.lock when it matches pyproject.toml (else it resolves them and says so).
  ./make_venv.py          create or update
  ./make_venv.py --clear  rebuild from scratch
  ./make_venv.py --lock   regenerate requirements.lock after changing the dependencies
"""
import argparse
import sys
import time

from daist.framework import venv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clear", action="store_true", help="delete and rebuild the venv")
    parser.add_argument("--lock", action="store_true",
                        help="resolve pyproject.toml's dependencies into requirements.lock "
                             "(pinned, with hashes) for this Python, then install from it")
    args = parser.parse_args()
    started = time.monotonic()
    try:
        if args.lock:
            print(f"daist: wrote {venv.write_lock()}")
        python = venv.ensure(clear=args.clear)
    except (venv.VenvError, OSError) as exc:
        print(f"daist: error: {exc}", file=sys.stderr)
        return 1
    print(f"daist: venv ready: {python} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
