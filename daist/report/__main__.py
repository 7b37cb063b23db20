"""``python -m daist.report {summary,compare} ...`` (and ``daist report``): the report CLI,
with the test kinds declared (``daist.app``) whose results it reads."""
from __future__ import annotations

import sys

import daist.app  # noqa: F401  (declares the test kinds)
from daist.report.cli import main

if __name__ == "__main__":
    sys.exit(main())
