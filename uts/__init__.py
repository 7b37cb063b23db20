"""daist's own unit and integration tests; folders mirror the package (``uts/models`` tests
``daist/models``). Run them with ``./uts.py``."""
