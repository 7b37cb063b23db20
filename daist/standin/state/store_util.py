"""Helpers shared by the store mixins."""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Sequence


def distinct_labels(db: sqlite3.Connection, table: str, *, where: str = "",
                    args: Sequence[Any] = ()) -> list[str]:
    """Sorted union of the JSON label lists in ``table.labels`` (optionally filtered)."""
    sql = f"SELECT DISTINCT labels FROM {table}" + (f" WHERE {where}" if where else "")
    labels: set[str] = set()
    for (text,) in db.execute(sql, args):
        labels.update(json.loads(text))
    return sorted(labels)
