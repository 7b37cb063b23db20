"""A CPU profile of the stand-in's own process, in pprof's format, as the master's
``/debug/pprof/profile?seconds=N`` serves Go's.

A sampling thread reads every other thread's Python stack ``HZ`` times a second for the window;
each sample counts one period of CPU time for the stack it saw (an estimate: Python cannot ask
which thread held the CPU, and an idle event loop samples as its ``select`` call). The result
is a ``perftools.profiles.Profile`` message (profile.proto, the published schema), gzipped,
with Go's sample types (``samples/count``, ``cpu/nanoseconds``), so ``go tool pprof`` and
daist's reader take it as they take the master's.
"""
from __future__ import annotations

import gzip
import sys
import threading
import time
from types import FrameType

HZ = 100
MAX_SECONDS = 60
_PERIOD_NS = 1_000_000_000 // HZ


def sample_stacks(seconds: float, *, stop: threading.Event) -> list[tuple[tuple[str, str, int], ...]]:
    """Stacks (leaf first; each frame ``(function, file, line)``) seen every 1/HZ s."""
    own = threading.get_ident()
    stacks: list[tuple[tuple[str, str, int], ...]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop.is_set():
        for ident, frame in sys._current_frames().items():
            if ident != own:
                stacks.append(_stack(frame))
        stop.wait(1 / HZ)
    return stacks


def _stack(frame: FrameType | None) -> tuple[tuple[str, str, int], ...]:
    out = []
    while frame is not None:
        code = frame.f_code
        out.append((getattr(code, "co_qualname", code.co_name), code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return tuple(out)


def encode_profile(stacks: list[tuple[tuple[str, str, int], ...]], *, start_ns: int,
                   duration_ns: int) -> bytes:
    """The gzipped profile.proto ``Profile`` of these stacks (one CPU period each)."""
    strings: dict[str, int] = {"": 0}
    functions: dict[tuple[str, str], int] = {}
    locations: dict[tuple[str, str, int], int] = {}
    counts: dict[tuple[int, ...], int] = {}

    def intern(text: str) -> int:
        return strings.setdefault(text, len(strings))

    for stack in stacks:
        ids = []
        for name, filename, line in stack:
            functions.setdefault((name, filename), len(functions) + 1)
            ids.append(locations.setdefault((name, filename, line), len(locations) + 1))
        counts[tuple(ids)] = counts.get(tuple(ids), 0) + 1
    samples_t, count_u, cpu_t, ns_u = (intern(s) for s in ("samples", "count", "cpu", "nanoseconds"))
    out = bytearray()
    out += _field(1, _message([(1, samples_t), (2, count_u)]))
    out += _field(1, _message([(1, cpu_t), (2, ns_u)]))
    for ids, count in counts.items():
        out += _field(2, _packed(1, ids) + _packed(2, (count, count * _PERIOD_NS)))
    for (name, filename, line), loc_id in locations.items():
        line_msg = _message([(1, functions[(name, filename)]), (2, line)])
        out += _field(4, _message([(1, loc_id)]) + _field(4, line_msg))
    for (name, filename), fn_id in functions.items():
        out += _field(5, _message([(1, fn_id), (2, intern(name)), (3, intern(name)),
                                   (4, intern(filename))]))
    for text in strings:  # insertion order is index order
        out += _field(6, text.encode("utf-8"))
    out += _message([(9, start_ns), (10, duration_ns)])
    out += _field(11, _message([(1, cpu_t), (2, ns_u)]))
    out += _message([(12, _PERIOD_NS)])
    return gzip.compress(bytes(out), mtime=0)


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # int64 as protobuf writes it
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _message(fields: list[tuple[int, int]]) -> bytes:
    """Varint fields (wire type 0); zero values are left out, as proto3 does."""
    return b"".join(_varint(number << 3) + _varint(value) for number, value in fields if value)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _packed(number: int, values: tuple[int, ...]) -> bytes:
    return _field(number, b"".join(_varint(v) for v in values))


def profile(seconds: float, *, stop: threading.Event) -> bytes:
    """Sample this process for ``seconds`` (run it off the event loop) and encode the profile."""
    start_ns = time.time_ns()
    began = time.monotonic_ns()
    stacks = sample_stacks(seconds, stop=stop)
    return encode_profile(stacks, start_ns=start_ns, duration_ns=time.monotonic_ns() - began)
