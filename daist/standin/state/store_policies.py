"""Task config policies of ``StandinStore`` (the master's ``configpolicy`` package): per
workload type (``EXPERIMENT`` or ``NTSC``, i.e. notebooks, tensorboards, shells, commands),
global or per workspace, an ``invariant_config`` and ``constraints``.

Setting checks what the master checks (api_config_policies.go, configpolicy/utils.go): the
workload type, a non-empty YAML or JSON document with only the two known sections, the
constraints' known fields, no invariant config for NTSC, and no invariant config that
contradicts the workspace's or the global constraints. The policies are kept and shown; they
are not enforced on experiments or tasks here.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Callable

import yaml

from daist.standin.common.errors import BadRequest, Internal
from daist.standin.state.expconf import NoAliasLoader

EXPERIMENT, NTSC = "EXPERIMENT", "NTSC"
_SECTIONS = ("invariant_config", "constraints")
_CONSTRAINT_FIELDS = {"priority_limit": None, "resources": {"max_slots": None}}
_WRAPPED = "rpc error: code = InvalidArgument desc = "  # a status error inside another
_NTSC_INVARIANT = (_WRAPPED + "not supported: invariant config policies for tasks is not yet supported, \n"
                   "\t\t  please remove \"invariant_config\" section and try again.")


def check_workload_type(workload_type: str, *, end: str = "") -> None:
    """``end`` is the full stop some of the master's callers add to the message."""
    if not workload_type:
        raise BadRequest("no workload type specified")
    if workload_type not in (EXPERIMENT, NTSC):
        raise BadRequest(f"invalid workload type: {workload_type}{end}")


def check_read_workload_type(workload_type: str) -> None:
    """Reads answer a bad type as the master does: its 400 wrapped in a 500."""
    try:
        check_workload_type(workload_type, end=".")
    except BadRequest as exc:
        raise Internal(_WRAPPED + exc.message) from None


def _policy_error(workload_type: str) -> str:
    return ("invalid experiment config policy" if workload_type == EXPERIMENT
            else "invalid ntsc config policy")


def _check_fields(value: Any, known: dict[str, Any], where: str, error: str) -> None:
    """Decoding into the master's structs with unknown fields disallowed."""
    if not isinstance(value, dict):
        raise BadRequest(f"{error}: {where or 'policies'} must be a mapping")
    for key, inner in value.items():
        if key not in known:
            raise BadRequest(f'{error}: json: unknown field "{key}"')
        if known[key] is not None and inner is not None:
            _check_fields(inner, known[key], key, error)
        elif known[key] is None and inner is not None and (
                not isinstance(inner, int) or isinstance(inner, bool)):
            raise BadRequest(f"{error}: {key} must be an integer")


def parse_policies(workload_type: str, text: str) -> dict[str, Any]:
    """The document as the master reads and validates it."""
    check_workload_type(workload_type)
    if not text:
        raise BadRequest("no specified config policies")
    error = _policy_error(workload_type)
    try:
        policies = yaml.load(text, Loader=NoAliasLoader)  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise BadRequest(f"{error}: {str(exc).splitlines()[0]}") from None
    if not isinstance(policies, dict):
        raise BadRequest(f"{error}: the policies must be a mapping")
    for key in policies:
        if key not in _SECTIONS:
            raise BadRequest(f'{error}: json: unknown field "{key}"')
    if policies.get("constraints") is not None:
        _check_fields(policies["constraints"], _CONSTRAINT_FIELDS, "constraints", error)
    invariant = policies.get("invariant_config")
    if invariant is not None:
        if workload_type == NTSC:
            raise BadRequest(_NTSC_INVARIANT)
        if not isinstance(invariant, dict):
            raise BadRequest(f"{error}: invariant_config must be a mapping")
    return policies


def _slots_conflict(constraints: dict[str, Any] | None, invariant: dict[str, Any]) -> str:
    """checkConstraintConflicts for an experiment's invariant ``resources``."""
    if not constraints:
        return ""
    resources = invariant.get("resources") or {}
    limit = constraints.get("priority_limit")
    if resources.get("priority") is not None and limit is not None \
            and resources["priority"] != limit:
        return "invariant config & constraints are trying to set the priority limit"
    max_slots = (constraints.get("resources") or {}).get("max_slots")
    if max_slots is None:
        return ""
    if resources.get("max_slots") is not None and resources["max_slots"] != max_slots:
        return "invariant config & constraints are trying to set the max slots"
    slots = resources.get("slots_per_trial")
    if slots is not None and max_slots < slots:
        return (f"invariant config has {slots} slots per trial. violates constraints max slots"
                f" of {max_slots}")
    return ""


class PolicyStore:
    db: sqlite3.Connection
    now: Callable[[], float]

    def get_policies(self, workspace_id: int | None, workload_type: str) -> dict[str, Any]:
        """The stored sections (none set: ``{}``); ``workspace_id`` None is global."""
        row = self.db.execute(
            "SELECT invariant_config, constraints FROM task_config_policies"
            " WHERE scope = ? AND workload_type = ?", (workspace_id or 0, workload_type)).fetchone()
        if row is None:
            return {}
        return {name: json.loads(row[name]) for name in _SECTIONS if row[name] is not None}

    def set_policies(self, workspace_id: int | None, workload_type: str, text: str, *,
                     user_id: int) -> dict[str, Any]:
        policies = parse_policies(workload_type, text)
        invariant = policies.get("invariant_config")
        if workload_type == EXPERIMENT and invariant:
            own = _slots_conflict(policies.get("constraints"), invariant)
            if own:
                raise BadRequest(f"{_WRAPPED}invalid experiment config policy: {own}.")
            if workspace_id is not None:
                global_constraints = self.get_policies(None, workload_type).get("constraints")
                clash = _slots_conflict(global_constraints, invariant)
                if clash:
                    raise BadRequest(f"{_WRAPPED}invalid experiment config policy: workspace"
                                     f" invariant_config conflicts with global constraints:"
                                     f" {clash}.")
        sections = [None if policies.get(name) is None else json.dumps(policies[name])
                    for name in _SECTIONS]
        self.db.execute("INSERT OR REPLACE INTO task_config_policies VALUES (?, ?, ?, ?, ?, ?)",
                        (workspace_id or 0, workload_type, *sections, user_id, self.now()))
        return policies

    def delete_policies(self, workspace_id: int | None, workload_type: str) -> None:
        self.db.execute("DELETE FROM task_config_policies WHERE scope = ? AND workload_type = ?",
                        (workspace_id or 0, workload_type))
