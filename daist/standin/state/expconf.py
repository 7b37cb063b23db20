"""Experiment configs: parse what ``client.create_experiment`` sends and fill in defaults.

The real master expands a config with many defaults; the stand-in fills the ones trials and
the SDK read (searcher, resources, hyperparameters, checkpoint_storage, max_restarts) and keeps
the rest as given. ``max_restarts`` defaults to 5, as in the master. Checkpoint storage becomes
a local ``directory`` storage, because the trial runs on this host, not in a container; its
garbage-collection policy (``save_experiment_best``, ``save_trial_best``, ``save_trial_latest``)
is the user's, with the master's defaults (0, 1, 1).
"""
from __future__ import annotations

import copy
from typing import Any

import yaml

from daist.standin.common.errors import BadRequest

DEFAULT_MAX_CONCURRENT_TRIALS = 16
DEFAULT_MAX_RESTARTS = 5
GC_POLICY_DEFAULTS = {"save_experiment_best": 0, "save_trial_best": 1, "save_trial_latest": 1}
MAX_CONFIG_CHARS = 1024 * 1024  # real configs are a few KB


class NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases: a few hundred bytes of nested aliases expand
    to gigabytes ("billion laughs"), and no experiment config needs them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.YAMLError(f"aliases are not allowed in an experiment config "
                                 f"(line {mark.line + 1})")
        return super().compose_node(parent, index)


def parse_config(text: Any) -> dict[str, Any]:
    """The ``config`` field: a YAML (or JSON) string, or already an object."""
    if isinstance(text, dict):
        return copy.deepcopy(text)
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("config must be a non-empty YAML string")
    if len(text) > MAX_CONFIG_CHARS:
        raise BadRequest(f"config has {len(text)} characters; at most {MAX_CONFIG_CHARS} "
                         "are allowed")
    try:
        config = yaml.load(text, Loader=NoAliasLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as exc:
        raise BadRequest(f"config is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(config, dict):
        raise BadRequest("config must be a YAML mapping")
    return config


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep merge for templates: ``override`` wins, nested mappings merge."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _environment_variables(env: Any) -> dict[str, list[str]]:
    if isinstance(env, list):
        return {"cpu": [str(v) for v in env], "cuda": [str(v) for v in env],
                "rocm": [str(v) for v in env]}
    env = env if isinstance(env, dict) else {}
    return {kind: [str(v) for v in (env.get(kind) or [])] for kind in ("cpu", "cuda", "rocm")}


def gc_policy(storage: dict[str, Any]) -> dict[str, int]:
    """The checkpoint GC policy of a ``checkpoint_storage`` section: each count a
    non-negative integer, the master's default where it is unset."""
    policy = {}
    for key, default in GC_POLICY_DEFAULTS.items():
        value = storage.get(key)
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadRequest(f"checkpoint_storage.{key} must be a non-negative integer")
        policy[key] = value
    return policy


def expand(config: dict[str, Any], *, checkpoint_dir: str) -> dict[str, Any]:
    """Return the expanded config the stand-in stores, shows and hands to trials."""
    out = copy.deepcopy(config)
    if not isinstance(out.get("hyperparameters", {}), dict):
        raise BadRequest("hyperparameters must be a mapping")
    searcher = out.get("searcher") or {}
    if not isinstance(searcher, dict):
        raise BadRequest("searcher must be a mapping")
    searcher.setdefault("name", "single")
    searcher.setdefault("metric", "loss")
    searcher.setdefault("smaller_is_better", True)
    if not searcher.get("max_concurrent_trials"):
        searcher["max_concurrent_trials"] = DEFAULT_MAX_CONCURRENT_TRIALS
    out["searcher"] = searcher
    resources = out.get("resources") or {}
    resources.setdefault("slots_per_trial", 1)
    resources["resource_pool"] = resources.get("resource_pool") or "default"
    out["resources"] = resources
    out.setdefault("hyperparameters", {})
    out.setdefault("name", "Experiment")
    out.setdefault("description", "")
    out.setdefault("labels", [])
    out.setdefault("data", {})
    if out.get("max_restarts") is None:
        out["max_restarts"] = DEFAULT_MAX_RESTARTS
    environment = out.get("environment") or {}
    environment["environment_variables"] = _environment_variables(
        environment.get("environment_variables"))
    out["environment"] = environment
    user_storage = out.get("checkpoint_storage")
    user_storage = user_storage if isinstance(user_storage, dict) else {}
    out["checkpoint_storage"] = {"type": "directory", "container_path": checkpoint_dir,
                                 **gc_policy(user_storage)}
    return out


def with_pool_defaults(config: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The pool's task container defaults under an expanded config, as the master merges
    them (expconf's EnvironmentVariablesMap.Merge): the pool's variables first, the
    config's after them, so the config's win. Other defaults are not applied here."""
    pool_env = _environment_variables(defaults.get("environment_variables"))
    if not any(pool_env.values()):
        return config
    out = copy.deepcopy(config)
    own = out["environment"]["environment_variables"]
    out["environment"]["environment_variables"] = {
        kind: pool_env[kind] + own.get(kind, []) for kind in ("cpu", "cuda", "rocm")}
    return out


def environment_pairs(config: dict[str, Any]) -> dict[str, str]:
    """``environment.environment_variables.cpu`` as a dict (``K=V`` strings split once)."""
    pairs: dict[str, str] = {}
    for item in config.get("environment", {}).get("environment_variables", {}).get("cpu", []):
        key, sep, value = str(item).partition("=")
        if sep and key:
            pairs[key] = value
    return pairs
