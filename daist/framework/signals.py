"""SIGINT and SIGTERM during a run, handled in one way wherever a run waits (the session's
main thread, a load run's main greenlet): ``handling`` installs a handler for both and restores
the previous ones; ``as_exception`` is what the run then ends with."""
from __future__ import annotations

import contextlib
import signal
from typing import Callable, Iterator

from daist.framework.errors import Interrupted

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def as_exception(signum: int) -> BaseException:
    """SIGINT: ``KeyboardInterrupt``; SIGTERM: ``Interrupted`` (a KeyboardInterrupt too, so
    cleanup runs alike)."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Interrupted(signum)


@contextlib.contextmanager
def handling(on_signal: Callable[[int], None]) -> Iterator[None]:
    """``on_signal(signum)`` for SIGINT and SIGTERM inside the block. Outside the main thread
    (where Python cannot install handlers) nothing is installed."""
    previous = {}
    try:
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, lambda number, frame: on_signal(number))
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before)
