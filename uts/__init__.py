"""daist's own unit and integration tests; folders mirror the package (``uts/models`` tests
``daist/models``). Run them with ``./uts.py``."""

import daist.app  # noqa: E402,F401  (declares the test kinds, as every daist program does)
