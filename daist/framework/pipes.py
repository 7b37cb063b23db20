"""A reader that stops early (``daist run --list | head -1``) closes our standard output; the
command then ends quietly with status 0, as ``ls | head`` does, instead of a BrokenPipeError
traceback at the next write or at interpreter exit."""
from __future__ import annotations

import functools
import os
import sys
from typing import Callable, TextIO, TypeVar

Main = TypeVar("Main", bound=Callable[..., int])


def quiet_on_closed_pipe(main: Main) -> Main:
    @functools.wraps(main)
    def wrapper(*args, **kwargs) -> int:
        try:
            try:
                return main(*args, **kwargs)
            finally:  # flush now, so a closed pipe shows here (also after --help's SystemExit)
                sys.stdout.flush()
        except BrokenPipeError:
            silence(sys.stdout)
            return 0
    return wrapper  # type: ignore[return-value]


def silence(stream: TextIO) -> None:
    """Point ``stream``'s file at /dev/null: later writes, and Python's own flush at exit, go
    nowhere instead of raising again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
