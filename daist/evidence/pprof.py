"""The top functions of a pprof profile: a gzipped ``perftools.profiles.Profile`` message
(profile.proto, the published schema), decoded here field by field (only what a top table
needs: sample types, samples, locations, functions, strings).

Flat time is a function's time as the leaf of a sample; cumulative time counts each sample once
for every function on its stack. Untrusted input: sizes are capped and every read is checked.
"""
from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass, field
from typing import Iterator

from daist.models.evidence import ProfileFunction, ProfileTop

MAX_PROFILE_BYTES = 64 * 2**20
"""Largest decompressed profile read (Go's CPU profiles of a busy master are a few MB)."""
TOP = 25


class ProfileFormatError(ValueError):
    """Not a gzipped pprof profile (or a damaged one)."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProfileFormatError("a varint runs past the end of its message")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of one message; int for varints, bytes otherwise."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, wire, value
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProfileFormatError("a field runs past the end of its message")
            yield number, wire, data[pos:pos + length]
            pos += length
        elif wire in (1, 5):  # fixed64 / fixed32: not in profile.proto's fields we read
            size = 8 if wire == 1 else 4
            yield number, wire, data[pos:pos + size]
            pos += size
        else:
            raise ProfileFormatError(f"wire type {wire} is not protobuf's")


def _ints(wire: int, value: int | bytes) -> list[int]:
    """A repeated integer field, packed (one bytes value) or not (one int per field)."""
    if wire == 0:
        return [int(value)]  # type: ignore[arg-type]
    out, pos, data = [], 0, value
    assert isinstance(data, bytes)
    while pos < len(data):
        number, pos = _varint(data, pos)
        out.append(number)
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass
class Profile:
    strings: list[str] = field(default_factory=list)
    sample_types: list[tuple[int, int]] = field(default_factory=list)
    samples: list[tuple[list[int], list[int]]] = field(default_factory=list)
    location_functions: dict[int, list[int]] = field(default_factory=dict)
    """location id -> function ids (inlined first, as pprof lists its lines)."""
    functions: dict[int, tuple[int, int]] = field(default_factory=dict)
    """function id -> (name, filename) string indexes."""
    default_sample_type: int = 0


def parse_profile(raw: bytes) -> Profile:
    try:
        data = gzip.GzipFile(fileobj=io.BytesIO(raw)).read(MAX_PROFILE_BYTES + 1) \
            if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error) as exc:
        raise ProfileFormatError(f"not a gzip stream: {exc}") from None
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileFormatError(f"more than {MAX_PROFILE_BYTES // 2**20} MiB decompressed")
    profile = Profile()
    for number, wire, value in _fields(data):
        if wire == 2 and isinstance(value, bytes):
            if number == 1:
                sub = {n: v for n, _, v in _fields(value)}
                profile.sample_types.append((int(sub.get(1, 0)), int(sub.get(2, 0))))
            elif number == 2:
                locations: list[int] = []
                values: list[int] = []
                for n, w, v in _fields(value):
                    if n == 1:
                        locations += _ints(w, v)
                    elif n == 2:
                        values += [_signed(x) for x in _ints(w, v)]
                profile.samples.append((locations, values))
            elif number == 4:
                loc_id, functions = 0, []
                for n, w, v in _fields(value):
                    if n == 1 and w == 0:
                        loc_id = int(v)  # type: ignore[arg-type]
                    elif n == 4 and isinstance(v, bytes):
                        line = {ln: lv for ln, _, lv in _fields(v)}
                        functions.append(int(line.get(1, 0)))
                profile.location_functions[loc_id] = functions
            elif number == 5:
                sub = {n: v for n, _, v in _fields(value)}
                profile.functions[int(sub.get(1, 0))] = (int(sub.get(2, 0)), int(sub.get(4, 0)))
            elif number == 6:
                profile.strings.append(value.decode("utf-8", errors="replace"))
        elif number == 14 and wire == 0:
            profile.default_sample_type = int(value)  # type: ignore[arg-type]
    if not profile.strings or profile.strings[0] != "":
        raise ProfileFormatError("no string table (the first string must be empty)")
    if not profile.sample_types:
        raise ProfileFormatError("no sample types")
    return profile


def top_functions(raw: bytes, *, top: int = TOP) -> ProfileTop:
    """The ``top`` functions by flat time of the profile's time-valued sample type (the last,
    as pprof's default for a CPU profile), in ms."""
    profile = parse_profile(raw)
    text = profile.strings

    def string(index: int) -> str:
        if not 0 <= index < len(text):
            raise ProfileFormatError(f"string index {index} outside the table")
        return text[index]

    index = len(profile.sample_types) - 1
    kind, unit = (string(i) for i in profile.sample_types[index])
    scale = {"nanoseconds": 1e-6, "microseconds": 1e-3, "milliseconds": 1.0}.get(unit)
    if scale is None:
        raise ProfileFormatError(f"the last sample type is {kind}/{unit}, not a time")
    flat: dict[int, float] = {}
    cum: dict[int, float] = {}
    total = 0.0
    for locations, values in profile.samples:
        if len(values) != len(profile.sample_types):
            raise ProfileFormatError("a sample's values do not match the sample types")
        value = values[index] * scale
        total += value
        stack = [fn for loc in locations for fn in profile.location_functions.get(loc, [])]
        if stack:
            flat[stack[0]] = flat.get(stack[0], 0.0) + value
        for fn in set(stack):
            cum[fn] = cum.get(fn, 0.0) + value
    ranked = sorted(cum, key=lambda fn: (-flat.get(fn, 0.0), -cum[fn]))[:top]
    functions = []
    for fn in ranked:
        name, filename = profile.functions.get(fn, (0, 0))
        functions.append(ProfileFunction(name=string(name) or f"function {fn}",
                                         filename=string(filename),
                                         flat_ms=round(flat.get(fn, 0.0), 3),
                                         cum_ms=round(cum[fn], 3)))
    return ProfileTop(functions=functions, sample_type=f"{kind}/{unit}", total_ms=round(total, 3))
