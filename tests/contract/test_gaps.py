"""The gap mechanism itself: only the declared failure turns into an xfail."""

from __future__ import annotations

import pytest

from olympus.connectors import create_connector
from tests.contract.conftest import Backend
from tests.contract.gaps import Gap, expected

NUMERIC = Gap("numeric_type", raises=AssertionError, match=r"^balance is int",
              why="SQLite's NUMERIC affinity")


def _sqlite_backend(gaps) -> Backend:
    connector = create_connector("sqlite", {"path": "never-opened.sqlite"})
    return Backend("sqlite", connector, "x", None, gaps=gaps)


def test_the_declared_failure_xfails_with_its_reason():
    with pytest.raises(pytest.xfail.Exception, match="SQLite's NUMERIC affinity"):
        with expected("sqlite", "numeric_type", NUMERIC):
            raise AssertionError("balance is int64")


def test_same_type_other_text_is_a_real_failure():
    with pytest.raises(AssertionError, match="row count") as info:
        with expected("sqlite", "numeric_type", NUMERIC):
            raise AssertionError("row count 3 != 4")
    assert "different failure" in " ".join(info.value.__notes__)


def test_other_exception_types_pass_through():
    with pytest.raises(KeyError):
        with expected("sqlite", "numeric_type", NUMERIC):
            raise KeyError("balance is int64")  # right text, wrong type


def test_a_gap_that_no_longer_fails_fails_the_test():
    with pytest.raises(pytest.fail.Exception, match="no longer fails"):
        with expected("sqlite", "numeric_type", NUMERIC):
            pass


def test_without_a_gap_the_block_is_plain():
    with expected("sqlite", "numeric_type", None):
        pass
    with pytest.raises(AssertionError):
        with expected("sqlite", "numeric_type", None):
            raise AssertionError("balance is int64")


def test_backend_looks_gaps_up_by_capability():
    backend = _sqlite_backend((NUMERIC,))
    assert backend.gaps == {"numeric_type": NUMERIC}
    with pytest.raises(pytest.xfail.Exception):
        with backend.gap("numeric_type"):
            raise AssertionError("balance is int64")
    with backend.gap("boolean_type"):  # not declared
        pass


def test_a_gap_may_not_restate_what_the_class_declares_absent():
    # SQLite's class declares no table comments: that is asserted as an absence, never a gap
    with pytest.raises(AssertionError, match="restate"):
        _sqlite_backend((Gap("table_comments", raises=AssertionError, why="no COMMENT ON"),))


def test_legacy_dict_gaps_catch_only_assertion_errors():
    backend = _sqlite_backend({"numeric_type": "old style"})
    with pytest.raises(pytest.xfail.Exception):
        with backend.gap("numeric_type"):
            raise AssertionError("anything")
    with pytest.raises(ValueError):
        with backend.gap("numeric_type"):
            raise ValueError("not an assertion")
