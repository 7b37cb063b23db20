"""Import Locust once, quietly. Importing it monkey-patches the process with gevent (that is
the point of this module). daist has imported ``ssl`` (through requests) by then, which is
harmless for daist's plain-HTTP and requests-based calls, so gevent's warning about it is
silenced. At exit, logging is shut down early and forgets its handler weak references: their
callbacks would otherwise run during interpreter teardown, take a lock through gevent's
patched threading and print "greenlet is being finalized" errors."""
from __future__ import annotations

import atexit
import logging
import warnings

from gevent.monkey import MonkeyPatchWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", MonkeyPatchWarning)
    import locust  # noqa: F401



def _quiet_logging_teardown() -> None:
    logging.shutdown()
    logging._handlerList.clear()  # noqa: SLF001 (no public way to drop the weak references)


atexit.register(_quiet_logging_teardown)
