"""Access tokens on real stores (SQLite, PostgreSQL): only a hash is stored, the secret resolves
to the member's current role, revoked and orphaned tokens stop working, and who may see or
revoke which token."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from olympus.crypto import generate_key
from olympus.errors import ConfigError
from olympus.ops import tokens
from olympus.ops.token_tables import access_tokens
from olympus.store import Store
from olympus.store_db import audit_log
from olympus.store_teams import Teams
from olympus.teams import Forbidden, Principal
from olympus.workspace import Workspace
from tests.store_helpers import make_settings

SPACE = "team"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    settings = make_settings(tmp_path, keys=(generate_key(),), OLYMPUS_AUTH="proxy")
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")
    opened = Store(url, settings=settings)
    teams = Teams(opened)
    teams.create_space("Team", space_id=SPACE)
    teams.set_member(SPACE, "ann@x.io", "admin")
    teams.set_member(SPACE, "vic@x.io", "viewer")
    yield opened
    opened.dispose()


def ws(store, email: str, role: str) -> Workspace:
    return Workspace(store, settings=store.settings, principal=Principal(email, SPACE, role))


def test_only_a_hash_is_stored_and_the_secret_resolves_to_the_current_role(store):
    info, secret = ws(store, "vic@x.io", "viewer").create_token("Claude desktop")
    assert secret.startswith("oly_") and len(secret) > 40 and secret.startswith(info.prefix)
    with store.engine.connect() as conn:
        rows = [tuple(map(str, r)) for r in conn.execute(sa.select(access_tokens))]
    assert len(rows) == 1 and not any(secret in cell for cell in rows[0])
    assert tokens.digest(secret) in rows[0]
    assert tokens.resolve(store, store.settings, secret) == Principal("vic@x.io", SPACE, "viewer")
    Teams(store).set_member(SPACE, "vic@x.io", "editor")
    assert tokens.resolve(store, store.settings, secret).role == "editor"
    (listed,) = ws(store, "vic@x.io", "editor").access_tokens()
    assert listed.last_used_at is not None and listed.name == "Claude desktop"


@pytest.mark.parametrize("bad", ["", "oly_", "oly_guess", "not-even-the-scheme"])
def test_unknown_secrets_are_refused(store, bad):
    ws(store, "vic@x.io", "viewer").create_token("real")
    with pytest.raises(tokens.InvalidToken):
        tokens.resolve(store, store.settings, bad)


def test_revoked_and_orphaned_tokens_stop_working(store):
    vic = ws(store, "vic@x.io", "viewer")
    first, secret = vic.create_token("one")
    _, other = vic.create_token("two")
    vic.revoke_token(first.id)
    with pytest.raises(tokens.InvalidToken):
        tokens.resolve(store, store.settings, secret)
    assert tokens.resolve(store, store.settings, other).user == "vic@x.io"
    Teams(store).remove_member(SPACE, "vic@x.io")
    with pytest.raises(tokens.InvalidToken, match="no longer a member"):
        tokens.resolve(store, store.settings, other)
    assert [t.active for t in tokens.listed(store, space=SPACE)] == [True, False]


def test_members_see_and_revoke_only_their_own_admins_everyone(store):
    ann, vic = ws(store, "ann@x.io", "admin"), ws(store, "vic@x.io", "viewer")
    ann_token, _ = ann.create_token("ann's")
    vic_token, _ = vic.create_token("vic's")
    assert [t.name for t in vic.access_tokens()] == ["vic's"]
    with pytest.raises(Forbidden):
        vic.access_tokens(everyone=True)
    with pytest.raises(ConfigError, match="No such access token"):
        vic.revoke_token(ann_token.id)
    assert {t.name for t in ann.access_tokens(everyone=True)} == {"ann's", "vic's"}
    assert ann.revoke_token(vic_token.id).revoked_at is not None
    with store.engine.connect() as conn:
        actions = [(r.user, r.action, r.status) for r in conn.execute(
            sa.select(audit_log).where(audit_log.c.action.like("token_%"))
            .order_by(audit_log.c.id))]
    assert actions == [("ann@x.io", "token_create", "ok"), ("vic@x.io", "token_create", "ok"),
                       ("vic@x.io", "token_revoke", "error"), ("ann@x.io", "token_revoke", "ok")]


def test_a_token_needs_a_name(store):
    with pytest.raises(ConfigError, match="needs a name"):
        ws(store, "vic@x.io", "viewer").create_token("   ")
    assert tokens.listed(store, space=SPACE) == []


def test_without_sign_in_a_token_acts_as_the_local_admin(tmp_path):
    settings = make_settings(tmp_path, keys=(generate_key(),))
    store = Store.from_settings(settings)
    try:
        local = Workspace(store, settings=settings)
        _, secret = local.create_token("laptop")
        assert tokens.resolve(store, settings, secret) == Principal("local", settings.owner,
                                                                    "admin")
    finally:
        store.dispose()
