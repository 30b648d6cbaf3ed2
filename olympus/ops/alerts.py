"""Result snapshots and alert conditions: what a run keeps, and whether an alert fires."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Mapping

from olympus.errors import ConfigError
from olympus.ops.schedules import CONDITIONS, Alert

SNAPSHOT_ROWS = 1000
SNAPSHOT_BYTES = 256 * 1024  # per run; older runs beyond keep_runs keep none


def snapshot(df: Any, *, row_count: int, max_bytes: int = SNAPSHOT_BYTES) -> dict[str, Any]:
    """The first rows as JSON-safe values, halved until they fit in max_bytes."""
    split = json.loads(df.head(SNAPSHOT_ROWS).to_json(orient="split", index=False,
                                                      date_format="iso", default_handler=str))
    columns, rows = [str(c) for c in split["columns"]], split["data"]
    while rows and len(json.dumps(rows, default=str)) > max_bytes:
        rows = rows[: len(rows) // 2]
    return {"columns": columns, "rows": rows, "row_count": int(row_count),
            "truncated": len(rows) < int(row_count)}


def digest(df: Any) -> str:
    """Of the whole result (columns and values): equal digests mean an unchanged result."""
    text = df.to_json(orient="split", index=False, date_format="iso", default_handler=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_condition(condition: str, column: str | None, threshold: Any) -> tuple[str | None,
                                                                                  float | None]:
    """(column, threshold) for a valid condition; above/below need both."""
    if condition not in CONDITIONS:
        raise ConfigError(f"Unknown alert condition {condition!r}.", fields=("condition",),
                          suggestion=f"One of: {', '.join(CONDITIONS)}.")
    if condition in ("any_rows", "changed"):
        return None, None
    column = str(column or "").strip()
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        value = math.nan
    if not column or math.isnan(value):
        raise ConfigError(f"A '{condition}' alert needs a column and a numeric threshold.",
                          fields=("column", "threshold"))
    return column, value


def first_value(snap: Mapping[str, Any] | None, column: str) -> float | None:
    """Row 0's value of a column as a number (None: no rows, no such column, not a number)."""
    if not snap or not snap.get("rows") or column not in snap.get("columns", []):
        return None
    raw = snap["rows"][0][snap["columns"].index(column)]
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def beyond(alert: Alert, value: float | None) -> bool:
    if value is None:
        return False
    return value > alert.threshold if alert.condition == "above" else value < alert.threshold


def fires(alert: Alert, snap: Mapping[str, Any], digest_now: str | None,
          previous: Any | None) -> bool:
    """any_rows: rows now; above/below: the value crossed the threshold since the previous
    successful run (or it is beyond it on the first run); changed: the digest differs."""
    if alert.condition == "any_rows":
        return int(snap.get("row_count") or 0) > 0
    if alert.condition == "changed":
        return previous is not None and previous.digest != digest_now
    now_beyond = beyond(alert, first_value(snap, alert.column))
    was_beyond = previous is not None and beyond(alert, first_value(previous.snapshot,
                                                                    alert.column))
    return now_beyond and not was_beyond


def message(schedule_name: str, alert: Alert, snap: Mapping[str, Any], *,
            due_at: str, max_rows: int = 5) -> str:
    """Plain text: the schedule, the condition, the row count and a few rows (values cut)."""
    lines = [f"Olympus alert: {schedule_name}", f"Condition: {alert.describe}",
             f"Run due at: {due_at}", f"Rows: {snap.get('row_count', 0)}"]
    if alert.condition in ("above", "below"):
        lines.append(f"{alert.column} = {first_value(snap, alert.column)}")
    columns = snap.get("columns") or []
    if columns and snap.get("rows"):
        lines.append(" | ".join(_cut(c) for c in columns))
        lines += [" | ".join(_cut(v) for v in row) for row in snap["rows"][:max_rows]]
    return "\n".join(lines)


def _cut(value: Any, size: int = 60) -> str:
    text = " ".join(str(value).split())  # no newlines or tabs from a cell
    return text if len(text) <= size else text[: size - 1] + "…"
