"""Live progress of long work on the console: elapsed time, an estimate of what is left, and
whatever figures the caller has (users, requests/s, failures, p95, reports done).

On a terminal the line is a tqdm status line: log records are written above it (the console
log handlers go through ``console_write``), never into it. Elsewhere (CI logs) it is a plain
line every ``interval`` seconds.

What is left comes from the best thing known: work done of a known total (``total`` units,
``update(done=...)``), else a planned duration (``total_s``); a ``timeout_s`` is shown as a
timeout, never as an estimate."""
from __future__ import annotations

import contextlib
import shutil
import sys
import time
from typing import Callable, Iterator, Mapping, TextIO

from tqdm import tqdm

from daist.models.terminal import for_terminal


def clock_text(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def figure_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


@contextlib.contextmanager
def console_write(stream: TextIO) -> Iterator[None]:
    """Write to the console above any live progress line (cleared, then redrawn)."""
    with tqdm.external_write_mode(file=stream):
        yield


class Progress:
    def __init__(self, label: str, *, total_s: float | None = None,
                 timeout_s: float | None = None, total: int | None = None, unit: str = "",
                 stream: TextIO | None = None, interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.total_s = total_s
        self.timeout_s = timeout_s
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (1.0 if self.tty else 10.0)
        self.clock = clock
        self.started = clock()
        self.last_shown: float | None = None
        self.done_units: int | None = None
        self._bar: tqdm | None = None

    def line(self, figures: Mapping[str, object] = {}) -> str:
        elapsed = self.clock() - self.started
        timing = f"{clock_text(elapsed)} elapsed"
        left = self._left(elapsed)
        if left is not None:
            timing += f", {clock_text(left)} left"
        if self.timeout_s is not None:
            timing += f", timeout in {clock_text(self.timeout_s - elapsed)}"
        parts = [f"[{self.label}] {timing}"]
        if self.total is not None:
            parts.append(f"{self.unit or 'done'} {self.done_units or 0}/{self.total}")
        parts += [f"{name} {figure_text(value)}" for name, value in figures.items()]
        return " | ".join(parts)

    def _left(self, elapsed: float) -> float | None:
        if self.total and self.done_units:  # the rate so far, over what remains
            return elapsed * (self.total - self.done_units) / self.done_units
        if self.total_s is not None:
            return self.total_s - elapsed
        return None

    def update(self, figures: Mapping[str, object] = {}, *, done: int | None = None,
               force: bool = False) -> bool:
        if done is not None:
            self.done_units = done
        now = self.clock()
        if not force and self.last_shown is not None and now - self.last_shown < self.interval:
            return False
        self.last_shown = now
        self._write(self.line(figures), final=False)
        return True

    def done(self, figures: Mapping[str, object] = {}, *, done: int | None = None,
             ending: str = "done") -> None:
        """The last line; ``ending`` says how the work ended ("interrupted", "stopped")."""
        if done is not None:
            self.done_units = done
        self._write(f"{self.line(figures)} | {ending}", final=True)

    def _write(self, text: str, *, final: bool) -> None:
        text = for_terminal(text)  # labels and figures may name things from the master
        if not self.tty:
            self.stream.write(text + "\n")
            self.stream.flush()
            return
        if self._bar is None:
            # shutil's size falls back to 80x24 where a terminal reports 0 (tqdm would print
            # nothing there)
            size = shutil.get_terminal_size()
            self._bar = tqdm(file=self.stream, bar_format="{desc}", ncols=size.columns,
                             nrows=size.lines, leave=True, mininterval=0)
        self._bar.set_description_str(text, refresh=True)
        if final:
            self._bar.close()
            self._bar = None
