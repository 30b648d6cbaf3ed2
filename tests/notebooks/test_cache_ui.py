"""What a person sees of the result cache on the Ask page: a repeated query says
'from cache · just now', and Refresh runs it on the database again."""

from __future__ import annotations

from olympus.config import Settings
from olympus.store import Store
from tests.ui.conftest import app, olympus_home  # noqa: F401  (the AppTest fixtures)
from tests.ui.helpers import button, no_traceback, shown


def _log(limit: int = 3) -> list:
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    try:
        return store.query_log(settings.owner, limit=limit)
    finally:
        store.dispose()


def test_a_repeated_query_says_from_cache_and_refresh_runs_it_again(app):  # noqa: F811
    app("app.py")  # the first start builds the demo
    at = app("pages/3_Ask.py")
    sql = "SELECT count(*) AS n FROM branches"
    at.chat_input(key="ask:prompt").set_value(sql).run()
    no_traceback(at)
    assert "from cache" not in shown(at)
    count = at.metric[-1].value
    at.chat_input(key="ask:prompt").set_value("select count(*) as n\nfrom branches").run()
    no_traceback(at)
    assert "from cache · just now" in shown(at) and at.metric[-1].value == count
    assert [e.cached for e in _log(2)] == [True, None]
    button(at, "Refresh").click().run()
    no_traceback(at)
    assert "from cache" not in shown(at) and at.metric[-1].value == count
    assert [e.cached for e in _log(3)] == [None, True, None]  # it ran on the database again
