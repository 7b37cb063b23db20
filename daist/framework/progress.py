"""Live progress of long work on the console: elapsed and remaining time plus whatever figures
the caller has (users, requests/s, failures, p95). One rewritten line on a terminal, a line
every ``interval`` seconds otherwise (CI logs)."""
from __future__ import annotations

import sys
import time
from typing import Callable, Mapping, TextIO


def clock_text(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def figure_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


class Progress:
    def __init__(self, label: str, *, total_s: float | None = None, stream: TextIO | None = None,
                 interval: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.total_s = total_s
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (1.0 if self.tty else 10.0)
        self.clock = clock
        self.started = clock()
        self.last_shown: float | None = None
        self.width = 0

    def line(self, figures: Mapping[str, object] = {}) -> str:
        elapsed = self.clock() - self.started
        timing = f"{clock_text(elapsed)} elapsed"
        if self.total_s is not None:
            timing += f", {clock_text(self.total_s - elapsed)} left"
        parts = [f"[{self.label}] {timing}"]
        parts += [f"{name} {figure_text(value)}" for name, value in figures.items()]
        return " | ".join(parts)

    def update(self, figures: Mapping[str, object] = {}, *, force: bool = False) -> bool:
        now = self.clock()
        if not force and self.last_shown is not None and now - self.last_shown < self.interval:
            return False
        self.last_shown = now
        self._write(self.line(figures), final=False)
        return True

    def done(self, figures: Mapping[str, object] = {}) -> None:
        self._write(self.line(figures) + " | done", final=True)

    def _write(self, text: str, *, final: bool) -> None:
        if self.tty:
            padding = " " * max(0, self.width - len(text))
            self.width = len(text)
            self.stream.write("\r" + text + padding + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
