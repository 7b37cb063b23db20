"""``ExactTally``: every request a kind's users fire, per name, in an HDR histogram with its
count and failures by message, over the measured window; a worker ``drain``s it into each stats
report and the master ``merge``s them, so the master's figures are exact, not averaged
(Locust's own stats keep percentiles in rounded buckets). It is the engine's ``WindowRecorder``
for a kind that needs no more (the metric tests); the load tests' ``Recorder`` adds blocks,
intervals and samples."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daist.models.locust import (HDR_HIGHEST_US, HDR_LOWEST_US, decode_histogram,
                                 encode_histogram, new_histogram)

MESSAGE_CHARS = 300


@dataclass
class NameTally:
    histogram: Any = field(default_factory=new_histogram)
    count: int = 0
    failures: int = 0
    messages: dict[str, int] = field(default_factory=dict)

    def percentile_ms(self, percentile: float) -> float:
        if not self.histogram.get_total_count():
            return 0.0
        return self.histogram.get_value_at_percentile(percentile) / 1000.0


def _tally_of(tallies: dict[str, NameTally], name: str) -> NameTally:
    """``name``'s tally, made on first use only (``setdefault`` would build a histogram, about
    0.1 ms and an array of counts, on every call)."""
    tally = tallies.get(name)
    if tally is None:
        tally = tallies[name] = NameTally()
    return tally


class ExactTally:
    def __init__(self) -> None:
        self.block_s = 0.0
        """Unused here (no blocks): part of the engine's recorder shape."""
        self.window: tuple[float, float | None] | None = None
        self.names: dict[str, NameTally] = {}
        self._pending: dict[str, NameTally] = {}
        """Recorded since the last ``drain`` (a worker's share of the next report)."""

    # -- the window --------------------------------------------------------------------------
    def open_window(self, start: float) -> None:
        self.window = (start, None)

    def close_window(self, end: float) -> None:
        if self.window is not None:
            self.window = (self.window[0], end)

    @property
    def window_open(self) -> bool:
        return self.window is not None and self.window[1] is None

    # -- recording ---------------------------------------------------------------------------
    def on_request(self, *, name: str, response_time: float, exception: Any = None,
                   **kwargs: Any) -> None:
        if not self.window_open:
            return
        for tallies in (self.names, self._pending):
            tally = _tally_of(tallies, name)
            tally.count += 1
            if exception is not None:
                tally.failures += 1
                message = " ".join(str(exception).split())[:MESSAGE_CHARS]
                tally.messages[message] = tally.messages.get(message, 0) + 1
            else:  # whole microseconds, rounded half to even and clamped as to_micros does
                micros = min(max(round(response_time * 1000.0), HDR_LOWEST_US), HDR_HIGHEST_US)
                tally.histogram.record_value(micros)

    def drain(self) -> dict[str, Any]:
        """What was recorded since the last drain, as plain data; then forget it."""
        out = {name: {"hdr": encode_histogram(t.histogram), "count": t.count,
                      "failures": t.failures, "messages": t.messages}
               for name, t in self._pending.items()}
        self._pending = {}
        return out

    def merge(self, data: dict[str, Any]) -> None:
        for name, part in data.items():
            tally = _tally_of(self.names, name)
            tally.count += int(part["count"])
            tally.failures += int(part["failures"])
            for message, count in dict(part["messages"]).items():
                tally.messages[message] = tally.messages.get(message, 0) + int(count)
            if part["hdr"]:
                tally.histogram.add(decode_histogram(part["hdr"]))

    def count(self, name: str) -> int:
        tally = self.names.get(name)
        return tally.count if tally else 0

    def failures(self, *names: str) -> list[str]:
        """Every failure message (of ``names``, else of all), most frequent first, counted."""
        merged: dict[str, int] = {}
        for name, tally in self.names.items():
            if names and name not in names:
                continue
            for message, count in tally.messages.items():
                merged[f"{name}: {message}"] = merged.get(f"{name}: {message}", 0) + count
        return [f"{message} (x{count})" for message, count in
                sorted(merged.items(), key=lambda item: -item[1])]
