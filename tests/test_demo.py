"""The embedded demo database: deterministic, complete, consistent, and swapped in atomically."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from olympus.demo import DEMO_TABLES, DESCRIPTION, SAMPLE_QUESTIONS, DemoInfo, build_demo
from olympus.demo import build as demo_build


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> DemoInfo:
    """One demo built with the default seed, shared by the read-only checks."""
    cpu = time.process_time()
    info = build_demo(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    print(f"\ndemo build: {info.seconds:.2f} s wall, {time.process_time() - cpu:.2f} s CPU, "
          f"{info.total_rows:,} rows, {info.tables}")
    return info


@pytest.fixture(scope="module")
def con(built):
    c = duckdb.connect(str(built.path), read_only=True)
    yield c
    c.close()


def _one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def _hashes(path: Path) -> dict[str, str]:
    """SHA-256 of every table's columns and full contents in primary-key order."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as c:
        for t in DEMO_TABLES:
            df = c.execute(f"SELECT * FROM {t} ORDER BY 1").df()
            digest = hashlib.sha256(repr([(k, str(v)) for k, v in df.dtypes.items()]).encode())
            digest.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
            out[t] = digest.hexdigest()
    return out


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _foreign_keys(con) -> list[tuple[str, str, str, str]]:
    rows = con.execute(
        "SELECT table_name, constraint_column_names, referenced_table, referenced_column_names "
        "FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'").fetchall()
    return [(t, cols[0], ref, ref_cols[0]) for t, cols, ref, ref_cols in rows]


# --- shape -------------------------------------------------------------------------------------

def test_build_reports_what_is_in_the_file(built, con):
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == set(DEMO_TABLES) == set(built.tables)
    assert 6 <= len(DEMO_TABLES) <= 10
    for t, n in built.tables.items():
        assert _one(con, f"SELECT count(*) FROM {t}") == n > 0, t
    assert built.total_rows >= 150_000
    assert built.tables["payments"] == max(built.tables.values())
    assert built.seconds < 30  # sanity cap only; the printed time is the real measure


def test_constants_describe_the_demo():
    assert isinstance(SAMPLE_QUESTIONS, tuple) and 6 <= len(SAMPLE_QUESTIONS) <= 8
    assert all(q.endswith("?") and len(q) > 20 for q in SAMPLE_QUESTIONS)
    assert len(DESCRIPTION.strip().splitlines()) == 2


def test_every_table_has_a_primary_key_and_tables_are_in_fk_order(con):
    pk = {r[0] for r in con.execute("SELECT table_name FROM duckdb_constraints() "
                                    "WHERE constraint_type = 'PRIMARY KEY'").fetchall()}
    assert pk == set(DEMO_TABLES)
    for table, _, ref, _ in _foreign_keys(con):
        assert DEMO_TABLES.index(ref) < DEMO_TABLES.index(table), (table, ref)


def test_every_foreign_key_resolves(con):
    fks = _foreign_keys(con)
    assert len(fks) >= 9
    for table, col, ref, ref_col in fks:
        used = _one(con, f"SELECT count({col}) FROM {table}")
        dangling = _one(con, f"SELECT count(*) FROM {table} t LEFT JOIN {ref} r "
                             f"ON t.{col} = r.{ref_col} WHERE t.{col} IS NOT NULL "
                             f"AND r.{ref_col} IS NULL")
        assert used > 0 and dangling == 0, (table, col, ref, dangling)


def test_tables_and_columns_carry_business_comments(con):
    missing = con.execute("SELECT table_name FROM duckdb_tables() "
                          "WHERE coalesce(comment, '') = ''").fetchall()
    assert missing == []
    total, commented = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE length(comment) > 10) FROM duckdb_columns()"
        " WHERE NOT internal").fetchone()
    assert total > 50 and commented / total >= 0.9
    principal = _one(con, "SELECT comment FROM duckdb_columns() "
                          "WHERE table_name = 'loans' AND column_name = 'principal'")
    assert "USD" in principal


# --- believable business -----------------------------------------------------------------------

def test_dates_span_several_years_and_every_month(con):
    first, last, months = con.execute(
        "SELECT min(origination_date), max(origination_date), "
        "count(DISTINCT date_trunc('month', origination_date)) FROM loans").fetchone()
    assert (last - first).days >= 4 * 365
    assert months == 84  # 2019-01 .. 2025-12, no gaps in a monthly chart
    assert _one(con, "SELECT max(due_date) - min(due_date) FROM payments") >= 4 * 365


def test_originations_grow_and_dip_in_spring_2020(con):
    by_year = dict(con.execute("SELECT year(origination_date), count(*) FROM loans "
                               "GROUP BY 1").fetchall())
    assert by_year[2025] > 1.5 * by_year[2019]
    q1, q2 = con.execute(
        "SELECT count(*) FILTER (WHERE origination_date BETWEEN '2020-01-01' AND '2020-03-31'),"
        " count(*) FILTER (WHERE origination_date BETWEEN '2020-04-01' AND '2020-06-30')"
        " FROM loans").fetchone()
    assert q2 < 0.85 * q1


def test_default_rate_falls_as_credit_improves(con):
    rate = dict(con.execute(
        "SELECT c.credit_score_band, avg((l.status IN ('default', 'charged_off'))::INT) "
        "FROM loans l JOIN customers c USING (customer_id) GROUP BY 1").fetchall())
    assert rate["Poor"] > rate["Fair"] > rate["Good"] > rate["Very Good"]
    assert rate["Poor"] > 3 * rate["Exceptional"]
    assert rate["Exceptional"] < 0.05


def test_riskier_products_default_more_than_mortgages(con):
    rate = dict(con.execute(
        "SELECT p.category, avg((l.status IN ('default', 'charged_off'))::INT) "
        "FROM loans l JOIN loan_products p USING (product_id) GROUP BY 1").fetchall())
    assert rate["Personal"] > 2 * rate["Mortgage"]


def test_mortgage_rates_follow_the_market(con):
    rate = dict(con.execute(
        "SELECT year(origination_date), avg(interest_rate) FROM loans "
        "JOIN loan_products USING (product_id) WHERE category = 'Mortgage' GROUP BY 1").fetchall())
    assert rate[2023] > rate[2021] + 2


def test_payments_follow_their_loan(con):
    early = _one(con, "SELECT count(*) FROM payments p JOIN loans l USING (loan_id) "
                      "WHERE p.due_date <= l.origination_date OR p.paid_date < l.origination_date")
    assert early == 0
    assert _one(con, "SELECT count(*) FROM payments WHERE paid_date > DATE '2025-12-31'") == 0
    assert _one(con, "SELECT count(*) FROM payments WHERE (status = 'missed') "
                     "<> (paid_date IS NULL)") == 0


def test_paid_off_loans_repaid_their_principal(con):
    n, short = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE paid < l.principal * 0.99) FROM loans l "
        "JOIN (SELECT loan_id, sum(amount_paid) AS paid FROM payments GROUP BY 1) USING (loan_id)"
        " WHERE l.status = 'paid_off'").fetchone()
    assert n > 1000 and short == 0
    assert _one(con, "SELECT count(*) FROM loans WHERE status IN ('paid_off', 'charged_off') "
                     "AND (outstanding_principal <> 0 OR closed_date IS NULL)") == 0


def test_people_exist_before_they_act(con):
    assert _one(con, "SELECT count(*) FROM loans l JOIN customers c USING (customer_id) "
                     "WHERE l.origination_date < c.signup_date") == 0
    assert _one(con, "SELECT count(*) FROM loans l JOIN loan_officers o USING (officer_id) "
                     "WHERE l.origination_date < o.hire_date OR o.branch_id <> l.branch_id") == 0
    assert _one(con, "SELECT count(*) FROM loans l JOIN loan_products p USING (product_id) "
                     "WHERE l.origination_date < p.launched_date") == 0


def test_delinquency_buckets_match_days_past_due(con):
    wrong = _one(con, """SELECT count(*) FROM delinquencies WHERE days_past_due_bucket <>
        CASE WHEN max_days_past_due >= 90 THEN '90+' WHEN max_days_past_due >= 60 THEN '60'
             ELSE '30' END OR max_days_past_due < 30""")
    assert wrong == 0
    by_year = dict(con.execute("SELECT year(start_date), count(*) FROM delinquencies "
                               "GROUP BY 1").fetchall())
    assert by_year[2024] >= 12 * 10  # enough for a monthly trend chart
    charged = _one(con, "SELECT count(*) FROM loans WHERE status = 'charged_off'")
    assert charged == _one(con, "SELECT count(*) FROM delinquencies WHERE outcome = 'charged_off'")


# --- determinism and atomic replacement --------------------------------------------------------

def test_same_seed_gives_identical_tables(built, tmp_path):
    again = build_demo(tmp_path / "nested" / "demo.duckdb")
    assert again.tables == built.tables
    assert _hashes(again.path) == _hashes(built.path)
    assert sorted(os.listdir(again.path.parent)) == ["demo.duckdb"]


def test_rebuild_replaces_the_old_demo_and_a_crashed_writer_leftovers(built, tmp_path):
    path, wal = tmp_path / "demo.duckdb", tmp_path / "demo.duckdb.wal"
    shutil.copyfile(built.path, path)
    c = duckdb.connect(str(path))
    c.execute("PRAGMA disable_checkpoint_on_shutdown")
    c.execute("DELETE FROM delinquencies WHERE delinquency_id = 1")
    c.close()
    assert wal.exists()  # the old file's log, as a crashed writer leaves it
    dead, live = tmp_path / ".demo.duckdb.dead.tmp", tmp_path / ".demo.duckdb.live.tmp"
    dead.write_bytes(b"partial")
    live.write_bytes(b"another build in progress")
    os.utime(dead, (0, 0))

    info = build_demo(path, seed=7)

    assert not wal.exists()
    assert sorted(os.listdir(tmp_path)) == [live.name, path.name]
    with duckdb.connect(str(path), read_only=True) as c:
        for t, n in info.tables.items():
            assert _one(c, f"SELECT count(*) FROM {t}") == n, t
    new, old = _hashes(path), _hashes(built.path)
    assert [t for t in DEMO_TABLES if new[t] == old[t]] == ["loan_products"]  # a fixed catalog


def test_failed_build_leaves_previous_demo_and_no_temp_files(built, tmp_path, monkeypatch):
    path = tmp_path / "demo.duckdb"
    shutil.copyfile(built.path, path)
    before = _file_digest(path)

    def boom(con):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(demo_build, "_comment", boom)  # fails after every table is loaded
    with pytest.raises(RuntimeError, match="simulated"):
        build_demo(path, seed=99)
    assert _file_digest(path) == before
    assert sorted(os.listdir(tmp_path)) == ["demo.duckdb"]
