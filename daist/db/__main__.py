"""``python -m daist.db {migrate,upload,history}`` (and ``daist db``): see ``daist.db.cli``;
the test kinds whose rows it uploads are declared by ``daist.app``."""
import sys

import daist.app  # noqa: F401  (declares the test kinds)
from daist.db.cli import main

if __name__ == "__main__":
    sys.exit(main())
