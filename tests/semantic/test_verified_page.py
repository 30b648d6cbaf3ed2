"""What a person sees: the lineage line and the thumbs-up under an Ask answer (it stores a
verified query), Explain, the admin review list, and "Used by" on the Schema page (AppTest)."""

from __future__ import annotations

import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from olympus.config import Settings
from olympus.store import Store
from olympus.workspace import Workspace
from tests.agent.conftest import fake_openai, llm_server, shop_path  # noqa: F401  (fixtures)
from tests.agent.fake_openai import run_sql
from tests.services import ROOT
from tests.ui.helpers import as_read, open_expander

BY_REGION = ("SELECT c.region, sum(o.amount) AS total FROM main.orders o "
             "JOIN main.customers c ON c.id = o.customer_id GROUP BY 1 ORDER BY 1")


@pytest.fixture()
def env(tmp_path, monkeypatch, llm_server, shop_path):
    for name in ("OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY", "OLYMPUS_OWNER", "OLYMPUS_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-page-test")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    with workspace() as ws:
        ws.add_connection("shop", "duckdb", {"path": str(shop_path)})
    return llm_server


class workspace:
    """The store the pages use, opened for the test's own checks."""

    def __enter__(self) -> Workspace:
        settings = Settings.from_env()
        self.store = Store.from_settings(settings)
        self.ws = Workspace(self.store, settings=settings)
        return self.ws

    def __exit__(self, *exc) -> None:
        self.ws.close()
        self.store.dispose()


def shown(at: AppTest) -> str:
    parts = [str(getattr(el, "value", "")) for kind in ("markdown", "caption", "code", "text",
                                                         "info", "warning", "error")
             for el in getattr(at, kind)]
    return as_read("\n".join(parts + [e.label for e in at.expander]))


def test_thumbs_up_stores_a_verified_query_and_the_lineage_line_shows(env):
    env.script(run_sql(BY_REGION, explanation="Order totals per region."))
    at = AppTest.from_file(str(ROOT / "pages/3_Ask.py"), default_timeout=90).run()
    at.chat_input[0].set_value("What is the total order amount by region?").run()
    assert not at.exception, [e.message for e in at.exception]
    text = shown(at)
    assert "reads customers.region, orders.amount, customers.id, orders.customer_id" in text
    assert "Explain this SQL" in text
    assert "Reads from main.orders (as o)." not in text  # the outline: built once opened
    entry = next(b.key for b in at.get("download_button")).split(":")[0]  # "e1"
    text = shown(open_expander(at, f"{entry}:explain-open"))
    assert "Reads from main.orders (as o)." in text  # the outline, from the parse tree
    thumbs = next(b for b in at.button if b.label == "Save as verified")
    thumbs.click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Saved as a verified query" in shown(at)
    assert not any(b.label == "Save as verified" for b in at.button)
    with workspace() as ws:
        [saved] = ws.verified_queries()
    assert saved.question == "What is the total order amount by region?"
    assert saved.sql == BY_REGION and "main.orders.amount" in saved.columns


def test_the_review_list_shows_stale_ones_with_the_reason(env, pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE loans (id int PRIMARY KEY, principal numeric)")
    with workspace() as ws:
        ws.add_connection("pg", "postgresql", {"url": pg_url})
        keep = ws.save_verified("pg", "How many loans?", "SELECT COUNT(*) FROM loans")
        gone = ws.save_verified("pg", "Largest loan?", "SELECT MAX(principal) FROM loans")
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE loans RENAME COLUMN principal TO amount")
        ws.schema("pg", refresh=True)
    at = AppTest.from_file(str(ROOT / "pages/9_Verified.py"), default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    text = shown(at)
    assert "How many loans?" in text and "Largest loan?" in text
    assert "column public.loans.principal no longer exists" in text
    at.button(key=f"v{gone.id}:ok").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with workspace() as ws:
        assert ws.verified_queries(stale=True) == []
    at.button(key=f"v{keep.id}:del").click().run()
    with workspace() as ws:
        assert [q.id for q in ws.verified_queries()] == [gone.id]


def test_schema_page_shows_what_uses_a_column(env):
    with workspace() as ws:
        ws.schema("shop")
        ws.save_verified("shop", "Total by region?", BY_REGION)
        ws.run_sql("shop", "SELECT amount FROM orders LIMIT 2")
    at = AppTest.from_file(str(ROOT / "pages/2_Schema.py"), default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    name_filter = next(t for t in at.text_input if t.key.endswith(":q"))
    name_filter.input("orders").run()  # the browser opens the one table that matches
    assert not any(s.key and s.key.startswith("usedby:") for s in at.selectbox)  # once opened
    open_expander(at, "schema:usedby-open")
    pick = next(s for s in at.selectbox if s.key and s.key.startswith("usedby:"))
    assert pick.key.endswith(":main.orders")
    pick.set_value("amount").run()
    at.button(key=f"{pick.key}:go").click().run()
    text = shown(at)
    assert "Verified: Total by region?" in text
    assert "SELECT amount FROM orders LIMIT 2" in text
    pick.set_value("ordered_at").run()
    at.button(key=f"{pick.key}:go").click().run()
    assert "No verified query, saved notebook or recent query reads it." in shown(at)
