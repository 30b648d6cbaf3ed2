"""The glossary: stored per space, matched by word form, sent to the agent (asserted on the wire)."""

from __future__ import annotations

import pytest

from olympus.agent import ask
from olympus.errors import ConfigError
from olympus.semantic.glossary import GlossaryTerm, matching, prompt_block
from olympus.teams import Forbidden
from tests.agent.fake_openai import run_sql

DEFAULT_RATE = GlossaryTerm("default rate", "Share of orders refunded within 90 days.",
                            ("refund ratio", "bad order share"), "AVG(CASE WHEN o.amount < 20 THEN 1.0 ELSE 0 END)")
SQL = "SELECT c.region, count(*) AS orders FROM main.orders o JOIN main.customers c ON c.id = o.customer_id GROUP BY 1"


def test_terms_match_by_name_or_synonym_in_any_word_form():
    other = GlossaryTerm("active customer", "Bought in the last 90 days.")
    assert matching([DEFAULT_RATE, other], "What were the default rates per region?") == [DEFAULT_RATE]
    assert matching([DEFAULT_RATE, other], "refund ratios of ACTIVE customers") == [DEFAULT_RATE, other]
    assert matching([DEFAULT_RATE, other], "rate of default") == []  # a phrase, in its order


def test_prompt_block_keeps_to_its_budget():
    many = [GlossaryTerm(f"term {i}", "word " * 60) for i in range(40)]
    block = prompt_block(many, max_tokens=300)
    from olympus.agent.tokens import count_tokens

    assert 0 < count_tokens(block) <= 300 and block.count("\n- ") < 40
    assert prompt_block([]) == ""


def test_save_edit_scope_and_delete(ws, shop):
    saved = ws.save_term(DEFAULT_RATE)
    assert saved.id and saved.updated_by == "local" and saved.connection_id is None
    edited = ws.save_term(GlossaryTerm("Default Rate", "Edited.", ("npl",)))  # same name: an edit
    assert edited.id == saved.id
    assert [(t.term, t.definition, t.synonyms) for t in ws.glossary()] == [("Default Rate", "Edited.", ("npl",))]
    ws.add_connection("other", "duckdb", {"path": str(shop)})
    ws.save_term(GlossaryTerm("canary", "Only for other."), connection="other")
    assert [t.term for t in ws.glossary("shop")] == ["Default Rate"]
    assert [t.term for t in ws.glossary("other")] == ["canary", "Default Rate"]
    assert ws.delete_term(saved.id) and not ws.delete_term(saved.id)
    assert [t.term for t in ws.glossary()] == ["canary"]


@pytest.mark.parametrize("term, needle", [
    (GlossaryTerm("  "), "needs a name"),
    (GlossaryTerm("x" * 300), "longer than"),
    (GlossaryTerm("ok", synonyms=tuple(f"s{i}" for i in range(40))), "too many"),
])
def test_bad_terms_are_clear_errors(ws, shop, term, needle):
    with pytest.raises(ConfigError, match=needle):
        ws.save_term(term)
    assert ws.glossary() == []


def test_viewers_cannot_edit_the_glossary(as_role):
    editor, viewer = as_role("editor"), as_role("viewer")
    editor.save_term(DEFAULT_RATE)
    assert [t.term for t in viewer.glossary()] == ["default rate"]
    with pytest.raises(Forbidden):
        viewer.save_term(GlossaryTerm("x"))
    with pytest.raises(Forbidden):
        viewer.delete_term(viewer.glossary()[0].id)
    assert len(editor.glossary()) == 1


def test_the_agent_receives_matching_terms_and_descriptions(tmp_path, ws, shop, llm_server, settings):
    from langchain_openai import ChatOpenAI

    ws.save_term(DEFAULT_RATE)
    ws.save_term(GlossaryTerm("churn", "Customers gone for a year.", sql_expression="SECRET_CHURN_SQL"))
    ws.set_description("shop", "main.customers", "region", "Sales territory; 'North' or 'South' only.")
    llm_server.script(run_sql(SQL, chart={"mark": "bar", "x": "region", "y": "orders"}))
    model = ChatOpenAI(model="test-model", api_key="sk-test", base_url=llm_server.base_url, max_retries=0)
    out = ask(ws, "shop", "What is the refund ratio per region?", llm=model)
    assert out.ok, out.error
    system = llm_server.requests[0]["messages"][0]["content"]
    assert "Business glossary" in system
    assert "- default rate (also: refund ratio, bad order share): Share of orders refunded" in system
    assert "AVG(CASE WHEN o.amount < 20 THEN 1.0 ELSE 0 END)" in system
    assert "SECRET_CHURN_SQL" not in system and "churn" not in system.lower()  # not asked about
    assert "Sales territory; 'North' or 'South' only." in system  # the description, not the comment
    assert "Sales region of the customer" not in system
    assert "main.orders" in out.tables_sent  # the glossary's SQL names orders.amount
