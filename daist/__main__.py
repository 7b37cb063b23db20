"""``python -m daist [options] [unittest args]``: see ``daist.framework.main``."""
import sys

from daist.framework.main import main

if __name__ == "__main__":
    sys.exit(main())
