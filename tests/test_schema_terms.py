"""Retrieval by word form: stems, roots, compounds, irregular forms, the thesaurus, glossary words."""

from __future__ import annotations

from olympus.agent.context import SchemaIndex
from olympus.agent.schema_terms import normalise, root, split_compound, terms
from olympus.catalog import Catalog, Column, ForeignKey, Reference, Table


def _t(schema: str, name: str, *columns: str, note: str | None = None, pk: str = "id",
       fks: tuple[ForeignKey, ...] = ()) -> Table:
    return Table(schema, name, description=note, columns=tuple(Column(c, "int") for c in (pk, *columns)),
                 primary_key=(pk,), foreign_keys=fks)


# Distractors share the everyday words (id, name, date, amount) the tables under test also use.
FILLER = [_t("ops", f"{w}_{k}", "name", "created_date", "amount", "status")
          for k in range(3) for w in ("warehouse", "ticket", "shipment", "campaign", "invoice",
                                      "vendor", "asset", "incident", "contract", "budget_line")]


def _index(*tables: Table) -> SchemaIndex:
    return SchemaIndex(Catalog((*tables, *FILLER)))


def _top(index: SchemaIndex, question: str, n: int = 1, expand: str = "") -> list[str]:
    scores = index.scores(question, expand=expand)
    return [index.keys[i] for i in scores.argsort()[::-1][:n] if scores[i] > 0]


def test_word_forms_fold_to_one_term():
    assert normalise("paid") == normalise("pay") and normalise("people") == normalise("person")
    assert terms("heroes published") == terms("hero publish")
    assert root(normalise("payment")) == root(normalise("paid")) == root(normalise("payer"))
    assert root(normalise("driver")) == root(normalise("drive"))
    assert root(normalise("attendance")) == root(normalise("attended"))
    assert root(normalise("order")) != root(normalise("origin"))


def test_compounds_split_against_the_catalogs_own_words():
    vocab = {normalise(w) for w in ("year", "month", "hero", "sale", "person")}
    assert split_compound("yearmonth", vocab) == ("year", "month")
    assert split_compound(normalise("superhero"), vocab) == ("hero",)
    assert split_compound(normalise("salesperson"), vocab) == (normalise("sales"), "person")
    assert split_compound("quarterly", vocab) == ()  # nothing the catalog knows: no split


def test_sales_people_finds_the_salesperson_table():
    index = _index(_t("hr", "Salesperson", "name", "hire_date", "region_id"),
                   _t("hr", "Region", "name"), _t("shop", "Customer", "name", "email"))
    assert _top(index, "Which sales people were hired in 2023?") == ["hr.Salesperson"]
    # And the other way round: a question saying the compound finds the split name.
    split = _index(_t("hr", "SalesPeople", "name"), _t("shop", "Customer", "name"))
    assert _top(split, "list every salesperson") == ["hr.SalesPeople"]


def test_paid_finds_payment_columns():
    index = _index(_t("billing", "transfers", "payment_amount", "payment_date", "customer_id"),
                   _t("shop", "customers", "name", "email"))
    assert _top(index, "How much was paid in March?") == ["billing.transfers"]
    assert _top(index, "total of the paid amounts", 1)[0] == "billing.transfers"


def test_published_finds_the_publisher_table():
    index = _index(_t("books", "publisher", "publisher_name"), _t("books", "review", "stars"))
    assert _top(index, "Which titles were published by Penguin?") == ["books.publisher"]


def test_states_finds_province_through_the_built_in_thesaurus():
    index = _index(_t("geo", "province", "province_name", "population"), _t("geo", "river", "length"))
    assert _top(index, "Which states have more than a million inhabitants?") == ["geo.province"]
    # Without a synonym the question's words match nothing of it.
    assert "geo.province" not in _top(_index(_t("geo", "province", "province_name")), "quokka habitats", 5)


def test_glossary_words_expand_the_query():
    index = _index(_t("risk", "loan_book", "days_past_due", "principal"), _t("crm", "lead", "score"))
    question = "What is our NPL ratio by quarter?"
    assert "risk.loan_book" not in _top(index, question, 3)
    glossary = "default rate NPL ratio share of loans with days_past_due over 90"
    assert _top(index, question, expand=glossary) == ["risk.loan_book"]
    ctx = index.context(question, dialect="postgres", budget_tokens=200, expand=glossary)
    assert ctx.tables[0] == "risk.loan_book"


def test_an_undeclared_join_is_inferred_from_key_names_and_fills_first():
    stations = _t("fuel", "gasstations", "Country", "Segment", pk="GasStationID")
    sales = _t("fuel", "transactions", "GasStationID", "Amount", "Price", pk="TransactionID")
    index = _index(stations, sales)
    i, j = index.index_of["fuel.gasstations"], index.index_of["fuel.transactions"]
    assert j in index.adjacent[i] and i in index.adjacent[j]
    assert not index.adjacent[index.index_of["ops.warehouse_0"]]  # plain `id` keys link nothing


def test_declared_foreign_keys_still_count():
    parent = _t("s", "league", "name")
    child = _t("s", "fixture", "league_id", "season",
               fks=(ForeignKey(("league_id",), Reference("s", "league", ("id",))),))
    index = _index(parent, child)
    assert index.index_of["s.fixture"] in index.adjacent[index.index_of["s.league"]]
    assert _top(index, "How many games per league and season?", 2)[0] == "s.fixture"


def test_a_persons_name_asks_for_name_columns():
    people = _t("club", "member", "first_name", "last_name", "phone")
    devices = _t("it", "device", "phone", "serial")
    index = _index(people, devices)
    assert _top(index, 'Tell the phone of "Carlo Jacobs".') == ["club.member"]
    assert _top(index, "Which phone was bought in March April?")[0] == "it.device"  # months are no names
