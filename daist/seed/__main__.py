"""``python -m daist.seed``: see ``daist.seed.cli``."""
import sys

from daist.seed.cli import main

if __name__ == "__main__":
    sys.exit(main())
