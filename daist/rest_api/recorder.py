"""Exact latency recording: every request that starts inside the steady-state window goes into
an HDR histogram per endpoint (``test_name``, method), with its failures counted by message.

Hooked to Locust's ``request`` event, which only notes the request; ``settle`` files the
noted ones in bulk (see ``Recorder``). In the open shape a request carries its intended send
time in ``context["intended"]``; its latency then runs from that time (coordinated omission).
A worker ``drain``s its recorder into every stats report; the master ``merge``s them.
Optionally every recorded request is also appended to a CSV file (``[locust] samples``).
Every request, in the window or not, also goes into ``intervals`` (the over-time record).

With ``block_s`` set, each request's latency is also kept (as a float in an ``array``) in the
block of the window it started in, so that the saved stats carry per-block percentiles for
``compare``'s single-run judgement (``BlockStats``); workers send their block latencies along.
"""
from __future__ import annotations

import base64
import csv
import re
import time
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from daist.models.history import LocustStatsHistory
from daist.models.locust import (BlockStats, EndpointStats, LocustEntry, add_counts,
                                 decode_histogram, encode_histogram, new_histogram, per_second,
                                 record_each, record_micros, to_micros)
from daist.rest_api.grouping import grouped
from daist.rest_api.intervals import IntervalRecorder

LATE_SEND_S = 0.010
SETTLE_EVERY = 20_000
"""Requests noted before the load's ticker has them filed (480 KB): settling has a cost per
endpoint (a few numpy calls), so fewer, larger batches cost less per request."""
SAMPLE_COLUMNS = ["test_name", "method", "start_unix", "latency_ms", "ok"]
_ADDRESS = re.compile(r" (?:object )?at 0x[0-9a-fA-F]+")
_URL = re.compile(r" for url: \S+|URL \S+: ")


def failure_message(exception: Any) -> str:
    """A stable one-line message: the exception's type and text, without memory addresses or
    the URL (the endpoint is known), e.g. ``RetriesExceeded: timed out``,
    ``HTTPError: 500 Server Error: Internal Server Error``; a failure the user marked itself
    (``invalid response: ...``) as it was worded."""
    if isinstance(exception, str):
        text = exception
    elif type(exception).__name__ == "CatchResponseError":  # our own verdict: its words alone
        text = str(exception)
    else:
        cause = getattr(exception, "original", None)  # geventhttpclient wraps timeouts
        text = f"{type(exception).__name__}: {cause if cause is not None else exception}"
    text = _URL.sub("", _ADDRESS.sub("", " ".join(text.split())))
    return text[:300]


@dataclass
class Tally:
    histogram: Any = field(default_factory=new_histogram)
    requests: int = 0
    failures: int = 0
    messages: dict[str, int] = field(default_factory=dict)
    block_latencies: dict[int, array] = field(default_factory=dict)
    """Block index -> latencies (ms) of the requests that started in it."""
    block_failures: dict[int, int] = field(default_factory=dict)

    def add_block(self, index: int, latencies: bytes, failures: int) -> None:
        """Latencies as the bytes of float64s in machine order (an ``array("d")``'s)."""
        self.block_latencies.setdefault(index, array("d")).frombytes(latencies)
        if failures:
            self.block_failures[index] = self.block_failures.get(index, 0) + failures

    def blocks(self) -> list[BlockStats]:
        return [BlockStats.of(index, values, self.block_failures.get(index, 0))
                for index, values in sorted(self.block_latencies.items()) if values]


class Recorder:
    """Hooked to Locust's ``request`` event. The event only notes each request (its endpoint,
    start and latency, three floats appended to one array; a failure's message besides);
    ``settle`` then files what was noted in bulk -- window, HDR histograms, blocks, step,
    over-time record -- with numpy, a handful of calls per endpoint. It runs before anything
    reads or changes what it depends on (the window, the block length, a drain, a step, the
    results), and from the load's ticker once ``SETTLE_EVERY`` requests wait, so every request
    is judged by the window in force when it was reported, as if filed at once."""

    def __init__(self, *, samples_path: Path | None = None, steps: bool = False,
                 block_s: float = 0.0) -> None:
        self.window_start: float | None = None
        self.window_end: float | None = None
        self.tallies: defaultdict[tuple[str, str], Tally] = defaultdict(Tally)
        self.step = Tally()
        """Every endpoint together since the last ``take_step`` (one step of a sweep)."""
        self.steps = steps
        """Whether ``step`` is kept (a user sweep); else it costs nothing per request."""
        self._block_s = block_s
        self.late_sends = 0
        self.intervals = IntervalRecorder()
        self._endpoints: list[tuple[str, str]] = []
        self._slots: dict[tuple[str, str], int] = {}
        """Endpoint -> its index in ``_endpoints`` (the first float of each noted request)."""
        self._noted = array("d")
        """Endpoint slot, start (unix s) and latency (ms) of each request since the last settle."""
        self._failed: list[tuple[int, str]] = []
        """(Row in ``_noted``, failure message) of the failed ones."""
        self._samples: TextIO | None = None
        self._writer: Any = None
        if samples_path is not None:
            self._samples = open(samples_path, "w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._samples, lineterminator="\n")
            self._writer.writerow(SAMPLE_COLUMNS)

    @property
    def block_s(self) -> float:
        """Block length (s) for the per-block latencies; 0: none kept."""
        return self._block_s

    @block_s.setter
    def block_s(self, value: float) -> None:
        self.settle()
        self._block_s = value

    # -- window ------------------------------------------------------------------------------
    def open_window(self, start: float) -> None:
        self.settle()
        self.window_start, self.window_end = start, None

    def close_window(self, end: float) -> None:
        self.settle()
        self.window_end = end

    @property
    def window_open(self) -> bool:
        return self.window_start is not None and self.window_end is None

    @property
    def window_s(self) -> float:
        """Length of the last closed window (0 while none is)."""
        if self.window_start is None or self.window_end is None:
            return 0.0
        return self.window_end - self.window_start

    def in_window(self, began: float) -> bool:
        start = self.window_start
        return start is not None and began >= start and (
            self.window_end is None or began < self.window_end)

    def clear(self) -> None:
        self.settle()
        self.tallies.clear()
        self.step = Tally()
        self.late_sends = 0

    def take_step(self) -> Tally:
        self.settle()
        step, self.step = self.step, Tally()
        return step

    # -- recording (Locust's request event) ---------------------------------------------------
    def on_request(self, *, request_type: str, name: str, response_time: float,
                   exception: Any = None, context: Any = None, start_time: float | None = None,
                   response: Any = None, url: Any = None, response_length: Any = None,
                   **_: Any) -> None:
        # Every key Locust's clients send is named: the call then builds no dict of the rest.
        began = start_time if start_time is not None else time.time() - response_time / 1000.0
        latency = response_time
        if context:
            intended = context.get("intended")
            if intended is not None and began > intended:
                latency += (began - intended) * 1000.0
                if began - intended > LATE_SEND_S and self.in_window(began):
                    self.late_sends += 1
        slot = self._slots.get((name, request_type))
        if slot is None:
            slot = self._slot((name, request_type))
        noted = self._noted
        if exception is not None:
            self._failed.append((len(noted) // 3, failure_message(exception)))
        noted.extend((slot, began, latency))
        if self._writer is not None and self.in_window(began):
            self._writer.writerow([name, request_type, f"{began:.6f}", f"{latency:.3f}",
                                   int(exception is None)])

    def _slot(self, endpoint: tuple[str, str]) -> int:
        self._slots[endpoint] = len(self._endpoints)
        self._endpoints.append(endpoint)
        return self._slots[endpoint]

    def settle(self, *, at_least: int = 1) -> None:
        """File every request noted since the last settle, if there are ``at_least`` of them."""
        if len(self._noted) < 3 * at_least:
            return
        import numpy as np
        noted, failures = self._noted, self._failed
        self._noted, self._failed = array("d"), []
        rows = np.frombuffer(noted, dtype=np.float64).reshape(-1, 3)
        slots, began, latency = rows[:, 0].astype(np.int64), rows[:, 1], rows[:, 2]
        failed = np.zeros(len(rows), dtype=bool)
        if failures:
            failed[[row for row, _ in failures]] = True
        start, end = self.window_start, self.window_end
        if start is None:
            inside = np.zeros(len(rows), dtype=bool)
        else:
            inside = began >= start
            if end is not None:
                inside &= began < end
        self.intervals.add(self._endpoints, slots, began, latency, failed=failed, in_window=inside)
        if not inside.any():
            return
        self._file_window(slots[inside], began[inside], latency[inside], failed[inside],
                          [(slots[row], message) for row, message in failures if inside[row]])

    def _file_window(self, slots: Any, began: Any, latency: Any, failed: Any,
                     failures: list[tuple[int, str]]) -> None:
        """The requests that started in the window: per endpoint and per block."""
        import numpy as np
        present = np.unique(slots)
        owners = np.searchsorted(present, slots)
        tallies = [self.tallies[self._endpoints[slot]] for slot in present.tolist()]
        micros = to_micros(latency)
        record_each([tally.histogram for tally in tallies], owners, micros)
        for tally, count in zip(tallies, np.bincount(owners).tolist()):
            tally.requests += count
        for slot, message in failures:
            tally = self.tallies[self._endpoints[slot]]
            tally.failures += 1
            tally.messages[message] = tally.messages.get(message, 0) + 1
        if self._block_s:
            blocks = ((began - self.window_start) / self._block_s).astype(np.int64)
            width = int(blocks.max()) + 1
            codes = slots * width + blocks
            failing = dict(zip(*(part.tolist() for part in np.unique(codes[failed],
                                                                     return_counts=True))))
            for code, rows in grouped(codes):
                self.tallies[self._endpoints[code // width]].add_block(
                    code % width, latency[rows].tobytes(), failing.get(code, 0))
        if self.steps:
            record_micros(self.step.histogram, micros)
            self.step.requests += len(micros)
            self.step.failures += len(failures)

    def close(self) -> None:
        self.settle()
        if self._samples is not None:
            self._samples.close()
            self._samples = self._writer = None

    # -- worker -> master ---------------------------------------------------------------------
    def drain(self) -> dict[str, Any]:
        """This process's tallies as plain data, then start afresh (like Locust's worker stats)."""
        self.settle()
        data = {"late_sends": self.late_sends, "intervals": self.intervals.drain(), "tallies": [
            {"name": name, "method": method, "hdr": encode_histogram(t.histogram),
             "requests": t.requests, "failures": t.failures, "messages": t.messages,
             "blocks": [[index, base64.b64encode(values.tobytes()).decode("ascii"),
                         t.block_failures.get(index, 0)]
                        for index, values in t.block_latencies.items()]}
            for (name, method), t in self.tallies.items()]}
        self.clear()
        return data

    def merge(self, data: dict[str, Any]) -> None:
        self.settle()
        self.late_sends += int(data.get("late_sends", 0))
        self.intervals.merge(data.get("intervals", []))
        for item in data.get("tallies", []):
            tally = self.tallies[(item["name"], item["method"])]
            targets = (tally, self.step) if self.steps else (tally,)
            histogram = decode_histogram(item["hdr"]) if item["hdr"] else None
            for target in targets:
                if histogram is not None:
                    target.histogram.add(histogram)
                target.requests += item["requests"]
                target.failures += item["failures"]
            add_counts(tally.messages, item["messages"])
            for index, values, failures in item.get("blocks", ()):
                tally.add_block(int(index), base64.b64decode(values), int(failures))

    # -- results ------------------------------------------------------------------------------
    def entry(self, name: str, method: str, *, window_s: float) -> EndpointStats:
        self.settle()
        tally = self.tallies.get((name, method)) or Tally()  # no histogram made when found
        entry = EndpointStats(test_name=name, method=method, num_requests=tally.requests,
                              num_failures=tally.failures,
                              rps=per_second(tally.requests, window_s),
                              failures=dict(tally.messages),
                              locust=LocustEntry(name=name, method=method),
                              blocks=tally.blocks())
        entry.set_histogram(tally.histogram)
        return entry

    def keys(self) -> list[tuple[str, str]]:
        self.settle()
        return sorted(self.tallies)

    def history(self, *, warmup_start: float | None, window_start: float | None,
                window_end: float | None) -> LocustStatsHistory:
        self.settle()
        return self.intervals.history(warmup_start=warmup_start, window_start=window_start,
                                      window_end=window_end)
