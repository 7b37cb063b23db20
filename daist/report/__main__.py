"""``python -m daist.report {summary,compare} ...``"""
from __future__ import annotations

import sys

from daist.report.cli import main

if __name__ == "__main__":
    sys.exit(main())
