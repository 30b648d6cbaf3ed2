"""Connection forms check values once, through the connector's validate(), by field name."""

from __future__ import annotations

from olympus.connectors import connector_class
from olympus.ui.forms import CLEAR, collect

PG = connector_class("postgresql")
SNOW = connector_class("snowflake")


def test_add_marks_every_missing_required_field_by_name():
    params, errors = collect(PG, {"host": "  ", "port": "5432", "password": "pw"})
    assert errors == {"host": "Host is required.", "username": "Username is required."}
    assert "host" not in params  # blank on add: simply not given


def test_a_bad_number_is_marked_at_its_field_and_good_ones_are_coerced():
    _, errors = collect(PG, {"host": "h", "username": "u", "port": "54x"})
    assert errors == {"port": "Port must be a whole number."}
    params, errors = collect(PG, {"host": " h ", "username": "u", "port": "5433"})
    assert errors == {} and params == {"host": "h", "username": "u", "port": 5433}


def test_the_connectors_own_wording_names_an_either_or_secret():
    _, errors = collect(SNOW, {"account": "a", "user": "u", "database": "d"})
    assert errors == {"password": "Password (or Private key) is required."}


def test_editing_a_blank_saved_secret_keeps_it():
    raw = {"account": "a", "user": "u", "database": "d", "password": ""}
    params, errors = collect(SNOW, raw, editing=True, kept=("password",))
    assert errors == {} and "password" not in params  # omitted: the store keeps the saved one
    assert params["role"] is None  # a blank plain field is sent as None: removed


def test_editing_a_secret_ticked_for_removal_or_never_saved_is_missing():
    raw = {"account": "a", "user": "u", "database": "d", CLEAR: ("password",)}
    _, removed = collect(SNOW, raw, editing=True, kept=("password",))
    _, never = collect(SNOW, {**raw, CLEAR: ()}, editing=True, kept=())
    assert removed == never == {"password": "Password (or Private key) is required."}


def test_editing_a_connection_saved_as_a_url_needs_no_host():
    """Host and username are required only without a URL; the saved URL counts while editing."""
    params, errors = collect(PG, {"host": "", "username": ""}, editing=True, kept=("url",))
    assert errors == {} and params["host"] is None
    _, errors = collect(PG, {"host": "", "username": ""}, editing=True, kept=())
    assert set(errors) == {"host", "username"}


def test_editing_a_required_plain_field_to_blank_is_refused():
    raw = {"account": "a", "user": "", "database": "d"}
    _, errors = collect(SNOW, raw, editing=True, kept=("password",))
    assert errors == {"user": "User is required."}
