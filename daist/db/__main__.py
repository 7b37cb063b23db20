"""``python -m daist.db {migrate,upload,history}``: see ``daist.db.cli``."""
import sys

from daist.db.cli import main

if __name__ == "__main__":
    sys.exit(main())
