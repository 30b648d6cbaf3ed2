"""The sidebar's Access tokens section (Streamlit AppTest on app.py): create shows the secret
once and it works with the MCP gate; the list shows name and prefix, never the secret; revoke
ends it. A token name is untrusted text."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from olympus.config import Settings
from olympus.ops import tokens
from olympus.store import Store
from tests.services import ROOT
from tests.ui.helpers import button, no_traceback, shown

EVIL = "![x](https://evil.example/p.png) **bold**"


@pytest.fixture()
def home(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OLYMPUS_STORE_URL", "OLYMPUS_SECRET_KEY",
                 "OLYMPUS_OWNER", "OLYMPUS_MODEL", "OLYMPUS_AUTH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _create(at: AppTest, name: str) -> AppTest:
    at.text_input(key="tokens:name").input(name)
    return button(at, "Create token").click().run()


def test_create_shows_the_secret_once_then_lists_and_revokes(home):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["tokens:open"] = True  # the expander opened (its content is built lazily)
    at.run()
    no_traceback(at)
    assert "No tokens yet." in shown(at)
    at = _create(at, EVIL)
    no_traceback(at)
    (secret,) = [c.value for c in at.code if c.value.startswith(tokens.SCHEME)]
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    try:
        assert tokens.resolve(store, settings, secret).user == "local"
        assert EVIL in [t.value for t in at.text]  # the name as plain text, never markdown
        assert not any("evil.example" in m.value for m in at.markdown)
        at = button(at, "I copied it").click().run()
        assert secret not in shown(at) and secret not in [t.value for t in at.text]
        (listed,) = tokens.listed(store, space=settings.owner)
        assert any(t.value == f"{EVIL}  ·  {listed.prefix}…" for t in at.text)
        at = button(at, "Revoke").click().run()
        no_traceback(at)
        assert "No tokens yet." in shown(at)
        with pytest.raises(tokens.InvalidToken):
            tokens.resolve(store, settings, secret)
    finally:
        store.dispose()


def test_a_blank_name_is_a_clear_error_and_nothing_is_created(home):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["tokens:open"] = True  # the expander opened (its content is built lazily)
    at.run()
    at = _create(at, "   ")
    no_traceback(at)
    assert "needs a name" in shown(at)
    assert not [c for c in at.code if c.value.startswith(tokens.SCHEME)]
