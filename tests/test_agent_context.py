"""Schema context retrieval: finds the right tables, honours pins/drops, stays within budget."""

from __future__ import annotations

import time

import pytest

from olympus.agent.context import SchemaIndex, build_context
from olympus.agent.tokens import count_tokens
from olympus.catalog import Catalog, Column, ForeignKey, Reference, Table


def _table(schema, name, columns, description=None, pk=(), fks=(), rows=None) -> Table:
    """A typed catalog table."""
    cols = tuple(Column(c, t, True, d) for c, t, d in columns)
    keys = tuple(ForeignKey((c,), Reference(schema, t, (rc,))) for c, t, rc in fks)
    return Table(schema, name, "table", description, cols, tuple(pk), keys, rows)


def _shop() -> Catalog:
    """A small shop with a few unrelated tables."""
    tables = [
        _table("shop", "customers", [("customer_id", "integer", None), ("fullName", "text", "Customer's full name"),
                                     ("country", "text", "Billing country")], "People who buy from us", pk=["customer_id"]),
        _table("shop", "orders", [("order_id", "integer", None), ("customer_id", "integer", None),
                                  ("placed_at", "timestamp", "When the order was placed"),
                                  ("total_amt", "numeric", "Order total in EUR")], "Sales orders", pk=["order_id"],
               fks=[("customer_id", "customers", "customer_id")]),
        _table("shop", "shipments", [("shipment_id", "integer", None), ("carrier", "text", "Parcel carrier name")],
               "Outgoing parcels"),
        _table("hr", "employees", [("employee_id", "integer", None), ("salary", "numeric", "Yearly gross pay")],
               "Staff on the payroll"),
        _table("hr", "vacations", [("employee_id", "integer", None), ("days", "integer", "Days of leave taken")],
               "Leave records"),
    ]
    return Catalog(tuple(tables), "2026-01-01T00:00:00+00:00")


@pytest.fixture(scope="module")
def big() -> Catalog:
    """A 2,000-table catalog: BIRD's schemas plus generated business tables."""
    from benchmarks import bird_catalog as bird  # the in-repo copy under tests/data/

    return Catalog.from_dict(bird.merged_snapshot())


@pytest.fixture(scope="module")
def big_index(big) -> SchemaIndex:
    return SchemaIndex.from_snapshot(big)


def test_finds_tables_by_column_and_comment_words(big_index):
    ctx = big_index.context("Which superheroes have blue eyes?", dialect="postgres", budget_tokens=4000)
    assert ctx.tables[:2] and "superhero.superhero" in ctx.tables[:3]
    assert "superhero.colour" in ctx.tables  # 'eyes' is a column of superhero pointing at colour
    by_comment = big_index.context("total gross pay of staff", dialect="postgres", budget_tokens=300)
    assert by_comment.tables  # ranked by comment words even when names don't match


def test_comment_words_rank_the_right_table_first():
    ctx = build_context(_shop(), "yearly gross pay per person on the payroll", dialect="postgres", budget_tokens=60)
    assert ctx.tables[0] == "hr.employees"


def test_foreign_key_neighbour_pulled_in(big_index):
    ctx = big_index.context("average order total per billing country", dialect="duckdb", budget_tokens=4000)
    assert ctx.tables
    small = SchemaIndex.from_snapshot(_shop())
    scores = dict(zip(small.keys, small.scores("order total in EUR")))
    assert scores["shop.customers"] > 0  # no word matches, but it is the orders FK target
    assert scores["shop.customers"] > scores["shop.shipments"]


def test_pinned_first_and_dropped_never(big_index):
    ctx = big_index.context("Which superheroes have blue eyes?", dialect="postgres", budget_tokens=4000,
                            pinned=["financial.loan"], dropped=["superhero.colour"])
    assert ctx.tables[0] == "financial.loan"
    assert "superhero.colour" not in ctx.tables
    assert "financial.loan" in ctx.text.split("\n")[1]


@pytest.mark.parametrize("budget", [300, 2000, 4000, 8000])
def test_budget_respected_on_2000_tables(big_index, budget):
    for question in ["How many drivers finished the 2009 Australian Grand Prix?",
                     "List every customer with their orders, invoices, payments and returns and the carrier"]:
        ctx = big_index.context(question, dialect="postgres", budget_tokens=budget)
        assert count_tokens(ctx.text) == ctx.tokens <= budget
        assert ctx.tables and len(ctx.tables) < 2000


def test_follow_up_keeps_earlier_tables(big_index):
    first = "How many races did Lewis Hamilton win?"
    alone = big_index.context("now only for 2008", dialect="postgres", budget_tokens=1500)
    follow = big_index.context("now only for 2008", dialect="postgres", budget_tokens=1500, history=[first])
    assert "formula_1.drivers" in follow.tables and "formula_1.results" in follow.tables
    assert "formula_1.drivers" not in alone.tables


def test_deterministic(big):
    a = build_context(big, "Which club member spent the most on events?", dialect="postgres")
    b = SchemaIndex.from_snapshot(big).context("Which club member spent the most on events?", dialect="postgres")
    assert a == b


def test_everything_fits_sends_all_tables():
    ctx = build_context(_shop(), "orders per country", dialect="postgres", budget_tokens=4000)
    assert set(ctx.tables) == {t.qualified_name for t in _shop().tables}
    assert not ctx.truncated
    assert "Billing country" in ctx.text and "FK->customers.customer_id" in ctx.text


def test_tight_budget_trims_detail_before_tables():
    roomy = build_context(_shop(), "order total per customer", dialect="postgres", budget_tokens=4000)
    tight = build_context(_shop(), "order total per customer", dialect="postgres", budget_tokens=95)
    assert tight.tokens <= 95 < roomy.tokens
    assert tight.tables == ("shop.orders", "shop.customers") and not tight.truncated
    assert "Order total in EUR" in roomy.text and "Order total in EUR" not in tight.text
    squeezed = build_context(_shop(), "order total per customer", dialect="postgres", budget_tokens=70)
    assert squeezed.tables == ("shop.orders",) and squeezed.truncated


def test_identifiers_quoted_for_the_dialect():
    snap = Catalog((_table("s", "order", [("Academic Year", "text", None), ("user", "text", None)]),))
    assert 's."order"' in build_context(snap, "x", dialect="postgres").text
    text = build_context(snap, "x", dialect="bigquery").text
    assert "`Academic Year`" in text and "`user`" in text


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="tables"):
        SchemaIndex.from_snapshot({"introspected_at": "x"})
    as_dict = SchemaIndex.from_snapshot(_shop().to_dict())  # the FEAT-001 form is accepted too
    assert as_dict.keys == SchemaIndex.from_snapshot(_shop()).keys
    with pytest.raises(ValueError, match="budget_tokens"):
        build_context(_shop(), "q", dialect="postgres", budget_tokens=10)


def test_index_build_is_fast(big):
    started = time.process_time()  # CPU time: immune to other jobs sharing the 2 cores
    SchemaIndex.from_snapshot(big)
    assert time.process_time() - started < 1.5  # ~0.2-0.4 s here


# Real o200k_base counts of these strings (tiktoken, measured once with the encoding file at hand).
KNOWN = [("The quick brown fox jumps over the lazy dog.", 10),
         ("SELECT * FROM customers WHERE Currency = 'EUR'", 10),
         ("formula_1.driverStandings (~31,578 rows) -- Driver standings after each race", 18),
         ('  "Percent (%) Eligible FRPM (K-12)" real -- Percentage of K-12 students eligible', 21)]


def test_count_tokens_close_to_o200k_on_known_strings():
    for text, real in KNOWN:
        assert abs(count_tokens(text) - real) <= max(3, 0.2 * real), text
    total = sum(count_tokens(t) for t, _ in KNOWN)
    assert abs(total - sum(r for _, r in KNOWN)) / sum(r for _, r in KNOWN) < 0.15


def test_count_tokens_monotonic_and_offline():
    text = "customer_id integer PK -- Unique identifier of the customer "
    counts = [count_tokens(text * n) for n in range(1, 6)]
    assert counts == sorted(counts) and counts[0] > 0 and count_tokens("") == 0


def test_recall_on_twenty_bird_questions(big_index):
    from benchmarks import bird_catalog as bird

    items = bird.bird_questions()[::25]  # 20 questions spread over the 11 databases
    hits = sum(set(i["gold"]) <= set(big_index.context(f"{i['question']} {i['evidence']}", dialect="postgres").tables)
               for i in items)
    assert hits / len(items) >= 0.9


def test_a_database_without_tables_scores_nothing_instead_of_crashing():
    from olympus.agent.context import SchemaIndex
    from olympus.catalog import Catalog

    index = SchemaIndex.from_snapshot(Catalog((), "2026-01-01T00:00:00+00:00"))
    assert index.scores("how many loans?").size == 0
