"""The order of GetExperimentCheckpoints / GetTrialCheckpoints (``sortByAttr``,
``sortByMetric``, ``orderBy``), as the master sorts them.

Each key ends with the report time (the master's tie-break). A missing value sorts first in
ascending order and last in descending order. For an experiment's checkpoints (not a
trial's), SORT_BY_SEARCHER_METRIC puts those without a searcher metric last whatever the
order, and without an order means "best first" (ascending when smaller is better).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from daist.standin.common.errors import BadRequest
from daist.standin.state.exp_entities import Checkpoint

# checkpointv1.State numbers, the order of SORT_BY_STATE
_STATE_NUMBERS = {"STATE_UNSPECIFIED": 0, "STATE_ACTIVE": 1, "STATE_COMPLETED": 2,
                  "STATE_ERROR": 3, "STATE_DELETED": 4, "STATE_PARTIALLY_DELETED": 5}
SEARCHER_METRIC = "SORT_BY_SEARCHER_METRIC"


def _present(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)


def _steps(c: Checkpoint) -> Any:
    value = (c.metadata or {}).get("steps_completed")
    return value if isinstance(value, (int, float)) else None


def _metric(name: str) -> Callable[[Checkpoint], Any]:
    def value(c: Checkpoint) -> Any:
        found = (c.validation_metrics or {}).get(name)
        return found if isinstance(found, (int, float)) and not isinstance(found, bool) else None
    return value


_ATTRIBUTES: dict[str, Callable[[Checkpoint], Any]] = {
    "SORT_BY_UNSPECIFIED": lambda c: c.trial_id,
    "SORT_BY_TRIAL_ID": lambda c: c.trial_id,
    "SORT_BY_UUID": lambda c: c.uuid,
    "SORT_BY_BATCH_NUMBER": _steps,
    "SORT_BY_END_TIME": lambda c: c.report_time,
    "SORT_BY_STATE": lambda c: _STATE_NUMBERS.get(c.state, 0),
    SEARCHER_METRIC: lambda c: c.searcher_metric,
}


def sort_checkpoints(checkpoints: list[Checkpoint], *, sort_by_attr: str | None,
                     sort_by_metric: str | None, order_by: str | None,
                     smaller_is_better: bool | None) -> list[Checkpoint]:
    """``smaller_is_better`` None: a trial's list (no searcher-metric defaults)."""
    if sort_by_attr and sort_by_attr not in _ATTRIBUTES:
        raise BadRequest(f"unknown sortByAttr {sort_by_attr!r}")
    searcher_defaults = sort_by_attr == SEARCHER_METRIC and smaller_is_better is not None
    if searcher_defaults and order_by in (None, "", "ORDER_BY_UNSPECIFIED"):
        order_by = "ORDER_BY_ASC" if smaller_is_better else "ORDER_BY_DESC"
    descending = order_by == "ORDER_BY_DESC"
    if sort_by_metric and not sort_by_attr:
        value = _metric(sort_by_metric)
    else:
        value = _ATTRIBUTES[sort_by_attr or "SORT_BY_UNSPECIFIED"]
    ordered = sorted(checkpoints, key=lambda c: (*_present(value(c)), c.report_time),
                     reverse=descending)
    if searcher_defaults:  # no searcher metric: always last
        ordered = ([c for c in ordered if c.searcher_metric is not None]
                   + [c for c in ordered if c.searcher_metric is None])
    return ordered


def ordered_from_query(checkpoints: list[Checkpoint], query: Mapping[str, str],
                       experiment_config: dict[str, Any] | None) -> list[Checkpoint]:
    """``sort_checkpoints`` with the request's query; ``experiment_config`` (the searcher's
    smaller_is_better) for an experiment's list, None for a trial's."""
    smaller = None
    if experiment_config is not None:
        smaller = bool((experiment_config.get("searcher") or {}).get("smaller_is_better", True))
    return sort_checkpoints(checkpoints, sort_by_attr=query.get("sortByAttr") or None,
                            sort_by_metric=query.get("sortByMetric") or None,
                            order_by=query.get("orderBy") or None, smaller_is_better=smaller)
