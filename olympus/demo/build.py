"""Builds the demo database file: generated tables, loaded through Arrow, swapped in atomically."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from olympus.demo.schema import TABLES, Table, comments, ddl

if TYPE_CHECKING:  # heavy imports stay lazy: the app reads the constants on every start
    import duckdb
    import numpy as np
    import pyarrow as pa

    Columns = dict[str, np.ndarray]

DEMO_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES)  # foreign-key order
DESCRIPTION = (
    "Olympus Lending, a fictional US lender: 40 branches in 5 regions, customers, loan products,\n"
    "loans, monthly payments and delinquencies from 2019 to 2025, generated locally."
)
SAMPLE_QUESTIONS: tuple[str, ...] = (
    "How many loans did we originate each month, by region?",
    "What is the default rate by credit score band?",
    "Which 10 branches have the most outstanding principal?",
    "How did new delinquencies trend month by month in 2024?",
    "What is the average interest rate by product category and year?",
    "Which marketing campaigns brought in the most loan volume?",
    "What share of payments were late or missed in each quarter?",
    "How did the 2020 pandemic affect loan originations by product category?",
)
DEFAULT_SEED = 20240601
N_CUSTOMERS = 10_000


@dataclass(frozen=True)
class DemoInfo:
    """What a demo build produced, for the CLI and the app's first-start message."""

    path: Path
    tables: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        """Rows across all tables, for one-line summaries."""
        return sum(self.tables.values())


def _generate(seed: int) -> dict[str, "Columns"]:
    """All demo tables as column arrays; one seeded generator makes every run identical."""
    import numpy as np

    from olympus.demo import loans, reference, servicing

    rng = np.random.default_rng(seed)
    br = reference.branches(rng)
    of = reference.loan_officers(rng, br)
    ca = reference.marketing_campaigns(rng)
    cu = loans.customers(rng, N_CUSTOMERS, br)
    ln, pay, dq = servicing.service(rng, loans.loans(rng, cu, br, of, ca))
    return {"branches": br, "loan_officers": of, "loan_products": reference.loan_products(),
            "customers": cu, "marketing_campaigns": ca, "loans": ln, "payments": pay,
            "delinquencies": dq}


def _arrow(table: Table, cols: "Columns") -> "pa.Table":
    """Declared columns only, in schema order; NaN and NaT become SQL NULL."""
    import numpy as np
    import pyarrow as pa

    out = {}
    for c in table.columns:
        values = cols[c.name]
        mask = None
        if values.dtype.kind == "M":
            mask = np.isnat(values)
        elif values.dtype.kind == "f":
            mask = np.isnan(values)
        out[c.name] = pa.array(values, mask=mask if mask is not None and mask.any() else None)
    return pa.table(out)


def _load(con: "duckdb.DuckDBPyConnection", table: Table, cols: "Columns") -> int:
    """Create one table and bulk-insert it through Arrow (never row by row)."""
    con.execute(ddl(table))
    con.register("_demo_src", _arrow(table, cols))
    try:
        con.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM _demo_src")
    finally:
        con.unregister("_demo_src")
    return con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]


def _comment(con: "duckdb.DuckDBPyConnection") -> None:
    """Attach business descriptions to every table and column."""
    for table in TABLES:
        for statement in comments(table):
            con.execute(statement)


def _write(target: Path, data: dict[str, "Columns"]) -> dict[str, int]:
    """Write a complete, checkpointed database file at target; return row counts."""
    import duckdb

    con = duckdb.connect(str(target))
    try:
        con.execute("BEGIN")
        counts = {t.name: _load(con, t, data[t.name]) for t in TABLES}
        _comment(con)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def _remove(path: Path) -> None:
    """Delete a database file and its write-ahead log, if present."""
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _sweep(path: Path, *, older_than: float = 3600) -> None:
    """Remove temp files that crashed builds left behind (recent ones may be a live build)."""
    cutoff = time.time() - older_than
    for p in path.parent.glob(f".{path.name}.*.tmp*"):
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink()
        except OSError:
            pass


def build_demo(path: str | Path, *, seed: int = DEFAULT_SEED) -> DemoInfo:
    """Build the demo beside path and swap it in atomically, so readers never see half a file."""
    started = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        counts = _write(tmp, _generate(seed))
        path.with_name(path.name + ".wal").unlink(missing_ok=True)  # stale log of the old file
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    return DemoInfo(path=path, tables=counts, seconds=time.perf_counter() - started)
