"""The plain data a connector declares about itself: function policy and capabilities."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields

import pytest

from olympus.connectors import all_classes, sql_policy
from olympus.connectors.traits import (CAPABILITY_LABELS, FILES, LOCKS, SLEEPS, UNKNOWN_DIALECT,
                                       UNKNOWN_POLICY, Capabilities, SQLPolicy)

POLICY = SQLPolicy({"pg_sleep": SLEEPS, "pg_advisory_lock*": LOCKS, "lo_*": FILES})


@pytest.mark.parametrize("name, reason", [
    ("pg_sleep", SLEEPS),
    ("PG_SLEEP", SLEEPS),  # SQL function names are case-insensitive
    ("Pg_Sleep", SLEEPS),
    ("pg_advisory_lock", LOCKS),  # a prefix pattern covers the bare prefix ...
    ("pg_advisory_lock_shared", LOCKS),  # ... and every name that extends it
    ("LO_IMPORT", FILES),
    ("lo_", FILES),
])
def test_denied_names_and_prefixes(name, reason):
    assert POLICY.function_reason(name) == reason


@pytest.mark.parametrize("name", [
    "pg_sleep_for_a_while",  # an exact entry is not a prefix
    "xpg_sleep",
    "pg_advisory_unlock",  # shares a stem, not the prefix
    "lower",
    "lo",  # shorter than the prefix "lo_"
    "",
])
def test_other_names_may_run(name):
    assert POLICY.function_reason(name) is None


def test_patterns_are_lower_case_so_an_upper_case_entry_matches_nothing():
    assert SQLPolicy({"SLEEP": SLEEPS}).function_reason("sleep") is None  # documented contract


def test_unknown_policy_refuses_every_call():
    for name in ("count", "lower", "now", "anything"):
        assert UNKNOWN_POLICY.function_reason(name) == UNKNOWN_DIALECT
    assert SQLPolicy({"count": SLEEPS}, known=False).function_reason("sum") == UNKNOWN_DIALECT


def test_an_empty_known_policy_allows_everything():
    assert SQLPolicy().function_reason("pg_sleep") is None


def test_registry_policy_fails_closed_for_undeclared_dialects():
    assert sql_policy("no-such-dialect") is UNKNOWN_POLICY
    for cls in all_classes():
        assert sql_policy(cls.dialect) is cls.sql_policy and cls.sql_policy.known, cls.__name__


def test_every_declared_pattern_is_lower_case():
    for cls in all_classes():
        bad = [p for p in cls.sql_policy.denied_functions if p != p.lower()]
        assert not bad, f"{cls.__name__}: patterns must be lower-case: {bad}"


def test_capabilities_default_to_present_and_every_one_has_a_label():
    caps = Capabilities(table_comments=False)
    assert caps.as_dict() == {f.name: f.name != "table_comments" for f in fields(Capabilities)}
    assert list(CAPABILITY_LABELS) == [f.name for f in fields(Capabilities)]
    with pytest.raises(FrozenInstanceError):
        caps.table_comments = True
