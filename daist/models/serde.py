"""Plain-data conversion driven by dataclass field declarations.

``to_data`` turns a model into JSON-ready dicts, lists and scalars; ``from_data`` rebuilds it from
the declared field types, ignoring unknown keys (so newer files load in older code) and naming
the field path in every error. A class may override either side by defining ``to_data()`` /
``from_data()`` itself (e.g. ``Timestamp``). A field declared with ``metadata={"serialize": False}``
stays in memory only.
"""
from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from pathlib import Path, PurePath
from typing import Any, Union


class DataError(ValueError):
    """Data does not fit the declared model; the message names the field path."""


def to_data(value: Any) -> Any:
    custom = getattr(value, "to_data", None)
    if custom is not None and not isinstance(value, type):
        return custom()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.metadata.get("serialize", True)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dict):
        return {_key_to_data(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [to_data(v) for v in items]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise DataError(f"cannot serialize {type(value).__name__} value {value!r}")


def _key_to_data(key: Any) -> str:
    if isinstance(key, enum.Enum):
        return str(key.value)
    if isinstance(key, (str, int, float)) and not isinstance(key, bool):
        return str(key)
    raise DataError(f"dictionary keys must be strings or numbers, not {key!r}")


def from_data(tp: Any, data: Any, *, where: str = "") -> Any:
    """Build a value of type ``tp`` from plain ``data``."""
    where = where or getattr(tp, "__name__", str(tp))
    if tp is Any or tp is object:
        return data
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _from_union(typing.get_args(tp), data, where)
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple):
        return _from_sequence(tp, origin or tp, data, where)
    if origin is dict or tp is dict:
        return _from_mapping(tp, data, where)
    if origin is typing.Literal:
        if data not in typing.get_args(tp):
            raise DataError(f"{where}: expected one of {typing.get_args(tp)}, got {data!r}")
        return data
    if isinstance(tp, type):
        custom = getattr(tp, "from_data", None)
        if custom is not None:
            try:
                return custom(data)
            except DataError:
                raise
            except (TypeError, ValueError, KeyError) as exc:
                raise DataError(f"{where}: {exc}") from None
        if dataclasses.is_dataclass(tp):
            return build_dataclass(tp, data, where=where)
        if issubclass(tp, enum.Enum):
            try:
                return tp(data)
            except ValueError:
                raise DataError(f"{where}: {data!r} is not a {tp.__name__}") from None
        return _from_scalar(tp, data, where)
    raise DataError(f"{where}: unsupported declared type {tp!r}")


def _from_union(args: tuple, data: Any, where: str) -> Any:
    if data is None and type(None) in args:
        return None
    errors = []
    for arg in args:
        if arg is type(None):
            continue
        try:
            return from_data(arg, data, where=where)
        except DataError as exc:
            errors.append(str(exc))
    raise DataError(errors[0] if len(errors) == 1 else f"{where}: {data!r} fits none of {args}")


def _from_sequence(tp: Any, origin: type, data: Any, where: str) -> Any:
    if not isinstance(data, (list, tuple)):
        raise DataError(f"{where}: expected a list, got {type(data).__name__}")
    args = typing.get_args(tp)
    item_type = args[0] if args else Any
    items = [from_data(item_type, item, where=f"{where}[{i}]") for i, item in enumerate(data)]
    return origin(items) if origin is not list else items


def _from_mapping(tp: Any, data: Any, where: str) -> dict:
    if not isinstance(data, dict):
        raise DataError(f"{where}: expected an object, got {type(data).__name__}")
    key_type, value_type = typing.get_args(tp) or (Any, Any)
    result = {}
    for key, value in data.items():
        typed_key = from_data(key_type, key, where=f"{where} key") if key_type is not str else key
        result[typed_key] = from_data(value_type, value, where=f"{where}[{key!r}]")
    return result


def build_dataclass(tp: type, data: Any, *, where: str = "") -> Any:
    """The field-driven constructor; classes with their own ``from_data`` may call it."""
    where = where or tp.__name__
    if isinstance(data, tp):
        return data
    if not isinstance(data, dict):
        raise DataError(f"{where}: expected an object, got {type(data).__name__}")
    hints = _type_hints(tp)
    kwargs = {}
    for f in dataclasses.fields(tp):
        key = _key_in(f, data)
        if not f.init or not f.metadata.get("serialize", True) or key is None:
            missing = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if f.init and missing:
                raise DataError(f"{where}: missing required key {f.name!r}")
            continue
        kwargs[f.name] = from_data(hints[f.name], data[key], where=f"{where}.{f.name}")
    try:
        return tp(**kwargs)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{where}: {exc}") from None


def _key_in(f: dataclasses.Field, data: dict) -> str | None:
    """The key holding field ``f``: its name, else one of its ``aliases`` (the names files
    written before a rename use), else None."""
    for key in (f.name, *f.metadata.get("aliases", ())):
        if key in data:
            return key
    return None


def aliased(default: Any, *aliases: str) -> Any:
    """A dataclass field also read from its old names ``aliases`` (written as its own)."""
    return dataclasses.field(default=default, metadata={"aliases": aliases})


def _from_scalar(tp: type, data: Any, where: str) -> Any:
    if tp is float and isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    if tp is int and isinstance(data, str) and data.lstrip("-").isdigit():
        return int(data)  # int64 as a JSON string (grpc-gateway style) and stringified dict keys
    if tp is float and isinstance(data, str):
        try:
            return float(data)
        except ValueError:
            pass
    if tp in (Path, PurePath) and isinstance(data, str):
        return Path(data)
    if isinstance(data, tp) and not (tp is int and isinstance(data, bool)):
        return data
    raise DataError(f"{where}: expected {tp.__name__}, got {data!r}")


@functools.lru_cache(maxsize=None)
def _type_hints(tp: type) -> dict[str, Any]:
    return typing.get_type_hints(tp)
