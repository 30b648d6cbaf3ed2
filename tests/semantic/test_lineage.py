"""Lineage from sqlglot: joins, CTEs, subqueries, aliases and SELECT * resolve to base columns."""

from __future__ import annotations

import pytest

from olympus.catalog import Catalog
from olympus.catalog_model import Column, Table
from olympus.semantic.lineage import lineage, reads_of, uses

CATALOG = Catalog((
    Table("main", "loans", columns=(Column("id"), Column("principal"), Column("branch_id"),
                                    Column("status"))),
    Table("main", "branches", columns=(Column("id"), Column("Region"))),
))


def read(sql: str, catalog: Catalog | None = CATALOG, dialect: str = "duckdb"):
    return lineage(sql, dialect=dialect, catalog=catalog)


def test_join_with_aliases_and_unqualified_columns_resolve_through_the_catalog():
    got = read("SELECT l.principal, region FROM loans l JOIN branches b ON b.id = l.branch_id "
               "WHERE principal > 5 ORDER BY region")
    assert set(got.tables) == {"main.loans", "main.branches"}
    assert set(got.columns) == {"main.loans.principal", "main.loans.branch_id",
                                "main.branches.id", "main.branches.Region"}  # catalog spelling
    assert got.summary().startswith("reads ") and "branches.Region" in got.summary()
    assert not got.missing_tables and not got.unresolved


def test_cte_resolves_to_its_base_table():
    got = read("WITH t AS (SELECT branch_id, SUM(principal) AS s FROM loans GROUP BY 1) "
               "SELECT b.region, t.s FROM t JOIN branches b ON b.id = t.branch_id ORDER BY s")
    assert set(got.tables) == {"main.loans", "main.branches"}  # never the CTE "t"
    assert set(got.columns) == {"main.loans.branch_id", "main.loans.principal",
                                "main.branches.id", "main.branches.Region"}


def test_subqueries_in_from_and_where():
    got = read("SELECT x.id FROM (SELECT id, principal FROM main.loans WHERE status = 'late') x "
               "WHERE x.id IN (SELECT id FROM branches WHERE region = 'north')")
    assert set(got.columns) == {"main.loans.id", "main.loans.principal", "main.loans.status",
                                "main.branches.id", "main.branches.Region"}


def test_select_star_expands_from_the_catalog_or_stays_a_star():
    assert read("SELECT * FROM loans").columns == (
        "main.loans.id", "main.loans.principal", "main.loans.branch_id", "main.loans.status")
    unknown = read("SELECT * FROM elsewhere")
    assert unknown.columns == ("elsewhere.*",) and unknown.missing_tables == ("elsewhere",)
    no_catalog = read("SELECT * FROM t", catalog=None, dialect="postgres")
    assert no_catalog.columns == ("t.*",) and no_catalog.summary() == "reads t.*"


def test_count_star_reads_the_table_and_aliases_are_not_columns():
    got = read("SELECT COUNT(*) AS n FROM loans HAVING n > 2 ORDER BY n")
    assert got.reads == ("main.loans",) and not got.unresolved


def test_unknown_columns_are_reported_not_invented():
    assert read("SELECT l.nosuch FROM loans l").unresolved == ("main.loans.nosuch",)
    assert read("SELECT nosuch FROM loans").unresolved == ("nosuch",)


def test_reads_of_never_raises_and_uses_matches_tables_and_columns():
    assert reads_of("SELEC broken (", dialect="duckdb") == ()
    with pytest.raises(Exception):
        lineage("SELEC broken (", dialect="duckdb")
    reads = read("SELECT principal FROM loans").reads
    assert uses(reads, "main.loans") and uses(reads, "main.loans", "principal")
    assert not uses(reads, "main.loans", "status") and not uses(reads, "main.branches")
    assert uses(["main.x.*"], "main.x", "anything")
