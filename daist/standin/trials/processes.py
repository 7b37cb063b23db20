"""What the trial and command runners share about a task's local process: signalling its
process group and reading its output line by line."""
from __future__ import annotations

import asyncio
import os
import signal
from typing import AsyncIterator

LINE_LIMIT = 4 * 1024 * 1024  # the longest line kept whole (the StreamReader's limit)


def signal_group(process: asyncio.subprocess.Process | None, sig: signal.Signals) -> None:
    """Signal the process group even after its leader exited: its children may live on."""
    if process is None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


async def output_lines(stream: asyncio.StreamReader) -> AsyncIterator[str]:
    """Decoded lines without their ends; a line longer than ``LINE_LIMIT`` is cut."""
    while True:
        try:
            line = await stream.readline()
        except ValueError:  # a line longer than the limit: keep what fits
            line = (await stream.read(LINE_LIMIT)) + b"\n"
        if not line:
            return
        yield line.decode("utf-8", "replace").rstrip("\r\n")
