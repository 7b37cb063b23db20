"""``python -m daist [options] [unittest args]``: see ``daist.framework.main``; ``daist.app``
wires the stand-in, upload and report into it."""
import sys

from daist.app import main

if __name__ == "__main__":
    sys.exit(main())
