"""Unknown names in database errors get "did you mean" suggestions from the cached catalog."""

from __future__ import annotations

import duckdb
import pytest

from olympus.errors import SQLSyntaxError
from olympus.hints import unknown_name
from olympus.store import Store
from olympus.workspace import Workspace
from tests.store_helpers import make_settings


@pytest.mark.parametrize("message, name", [
    ('column "credit_scor_band" does not exist', "credit_scor_band"),
    ('column l.credit_scor_band does not exist', "credit_scor_band"),
    ('relation "public.loan" does not exist', "loan"),
    ('Binder Error: Referenced column "amout" not found in FROM clause!', "amout"),
    ("Catalog Error: Table with name loan does not exist!", "loan"),
    ("no such column: amout", "amout"),
    ("Unknown column 'l.amout' in 'field list'", "amout"),
    ("Table 'shop.loan' doesn't exist", "loan"),
    ("SQL compilation error: invalid identifier 'AMOUT'", "AMOUT"),
    ("Unrecognized name: amout at [1:8]", "amout"),
])
def test_the_unknown_name_is_read_from_each_engines_wording(message, name):
    assert unknown_name(message) == name


@pytest.mark.parametrize("sql, expected", [
    ("SELECT credit_scor_band FROM loans", "`credit_score_band`"),
    ("SELECT count(*) FROM loan", "`loans`"),
])
def test_run_sql_suggests_close_names_on_a_real_engine(tmp_path, sql, expected):
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE loans (id INT, credit_score_band VARCHAR, amount DECIMAL(12,2))")
    con.close()
    settings = make_settings(tmp_path / "home", OLYMPUS_DATA_DIR=str(tmp_path))
    store = Store.from_settings(settings)
    ws = Workspace(store, settings=settings)
    try:
        ws.add_connection("shop", "duckdb", {"path": str(path)}, require_read_only_role=False)
        ws.schema("shop")  # the hint only uses a catalog that is already cached
        with pytest.raises(SQLSyntaxError) as info:
            ws.run_sql("shop", sql)
        assert info.value.suggestion.startswith("Did you mean " + expected), info.value.suggestion
    finally:
        ws.close()
        store.dispose()
