"""``python -m daist.standin``: see ``daist.standin.cli``."""
from __future__ import annotations

import sys

from daist.standin.cli import main

if __name__ == "__main__":
    sys.exit(main())
