#!/usr/bin/env python3
"""Create __venv__ with daist installed editable and all its dependencies.

Idempotent: re-runs only re-install when pyproject.toml or setup.py changed.
  ./make_venv.py          create or update
  ./make_venv.py --clear  rebuild from scratch
"""
import argparse
import sys

from daist.framework import venv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clear", action="store_true", help="delete and rebuild the venv")
    args = parser.parse_args()
    try:
        python = venv.ensure(clear=args.clear)
    except (venv.VenvError, OSError) as exc:
        print(f"daist: error: {exc}", file=sys.stderr)
        return 1
    print(f"daist: venv ready: {python}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
