"""Trial hyperparameters from an experiment's searcher and hyperparameter space.

``grid`` takes the product of every hyperparameter's grid points; ``single`` makes one random
sample; ``random`` (and any other searcher, e.g. adaptive_asha or custom) makes ``max_trials``
random samples from a generator seeded by the experiment. Grid points: const -> its value,
categorical -> every value, int/double -> ``count`` evenly spaced points (ints rounded and
de-duplicated), log -> ``count`` points evenly spaced in the exponent. A plain mapping
without ``type`` is a nested hyperparameter group.
"""
from __future__ import annotations

import itertools
import random
from typing import Any

from daist.standin.common.errors import BadRequest

MAX_TRIALS = 4096  # refuse grids that would spawn more trial processes than this


def _spaced(low: float, high: float, count: int) -> list[float]:
    if count <= 1:
        return [low]
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def _grid_points(name: str, spec: Any) -> list[Any]:
    if not isinstance(spec, dict):
        return [spec]
    kind = spec.get("type")
    if kind is None:
        return [dict(zip(spec, combo)) for combo in itertools.product(
            *(_grid_points(f"{name}.{k}", v) for k, v in spec.items()))]
    try:
        if kind == "const":
            return [spec["val"]]
        if kind == "categorical":
            return list(spec["vals"])
        if kind == "int":
            points = [int(round(p)) for p in _spaced(int(spec["minval"]), int(spec["maxval"]),
                                                       int(spec.get("count") or 1))]
            return sorted(set(points))
        if kind == "double":
            return _spaced(float(spec["minval"]), float(spec["maxval"]), int(spec.get("count") or 1))
        if kind == "log":
            base = float(spec.get("base", 10))
            return [base ** p for p in _spaced(float(spec["minval"]), float(spec["maxval"]),
                                               int(spec.get("count") or 1))]
    except (KeyError, TypeError, ValueError):
        raise BadRequest(f"hyperparameter {name!r} is malformed") from None
    raise BadRequest(f"hyperparameter {name!r} has unknown type {kind!r}")


def _sample(name: str, spec: Any, rng: random.Random) -> Any:
    if not isinstance(spec, dict):
        return spec
    kind = spec.get("type")
    if kind is None:
        return {k: _sample(f"{name}.{k}", v, rng) for k, v in spec.items()}
    if kind in ("const", "categorical"):
        return rng.choice(_grid_points(name, spec))
    low, high = float(spec.get("minval", 0)), float(spec.get("maxval", 1))
    if kind == "int":
        return rng.randint(int(low), int(high))
    if kind == "log":
        return float(spec.get("base", 10)) ** rng.uniform(low, high)
    return rng.uniform(low, high)


def trial_hparams(config: dict[str, Any], *, seed: int) -> list[dict[str, Any]]:
    """One hyperparameter dict per trial the searcher asks for."""
    space = config.get("hyperparameters") or {}
    searcher = config.get("searcher") or {}
    name = searcher.get("name", "single")
    if name == "grid":
        axes = {k: _grid_points(k, v) for k, v in space.items()}
        total = 1
        for points in axes.values():
            total *= max(len(points), 1)
        if total > MAX_TRIALS:
            raise BadRequest(f"grid has {total} points; the stand-in runs at most {MAX_TRIALS}")
        return [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]
    count = 1 if name == "single" else int(searcher.get("max_trials") or 1)
    if count > MAX_TRIALS:
        raise BadRequest(f"max_trials {count} exceeds the stand-in's limit of {MAX_TRIALS}")
    rng = random.Random(seed)
    return [{k: _sample(k, v, rng) for k, v in space.items()} for _ in range(count)]
