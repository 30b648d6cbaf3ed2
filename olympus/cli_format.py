"""Output of `python -m olympus ...`: aligned tables, cells, and one clean line per failure."""

from __future__ import annotations

import sys
from typing import Any, Sequence

from olympus.errors import OlympusError


def _fail(err: OlympusError) -> int:
    line = f"{err.title}: {err.message}"
    if err.suggestion:
        line += f" — {err.suggestion}"
    print(" ".join(line.split()), file=sys.stderr)
    recipe = getattr(err, "recipe", None)  # RiskyCredentials: the read-only role to create
    if recipe:
        print(f"\n{recipe}", file=sys.stderr)
    return 1


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int = 40) -> str:
    """Plain aligned columns (no extra dependency); long cells are cut with an ellipsis."""
    cut = [[c if len(c) <= width else c[: width - 1] + "…" for c in map(str, row)] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cut]) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cut)])


def _json_cell(value: Any) -> Any:
    """NaN and ±Infinity have no JSON number: spelt as strings, the way PostgreSQL's to_json does."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    return value


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _describe(result) -> str:
    if result is None:
        return ", not tested"
    bits = [b for b in (result.server_version, result.database) if b]
    return f" — {', '.join(bits)}, {result.latency_ms:.0f} ms" if result.ok else " (test failed)"
