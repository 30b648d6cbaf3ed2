"""Declared test-environment gaps, in the style of ibis's `notimpl(raises=...)`: a gap names the
exact exception (and text) a check fails with here, so nothing else can hide behind it.

What a database itself lacks is no gap: the connector class declares it (`capabilities`) and the
contract suite asserts the absence. Gaps are for emulators (fakesnow, bqemulator), storage quirks
(SQLite's type affinity) and the limits of a test user."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

import pytest


@dataclass(frozen=True)
class Gap:
    """The check for `capability` fails in this environment with `raises` (and, when given, text
    matching the regex `match`); anything else that breaks still fails the test."""

    capability: str
    raises: type[BaseException] | tuple[type[BaseException], ...]
    why: str
    match: str | None = None

    def explains(self, exc: BaseException) -> bool:
        return isinstance(exc, self.raises) and (
            self.match is None or re.search(self.match, str(exc)) is not None)


def gap_table(gaps: Iterable[Gap] | Mapping[str, Gap | str]) -> dict[str, Gap]:
    """Gaps by capability; a legacy {capability: why} dict still works, as AssertionError only."""
    if isinstance(gaps, Mapping):
        gaps = [g if isinstance(g, Gap) else Gap(name, raises=AssertionError, why=str(g))
                for name, g in gaps.items()]
    table = {}
    for gap in gaps:
        assert gap.capability not in table, f"gap {gap.capability!r} declared twice"
        table[gap.capability] = gap
    return table


@contextmanager
def expected(backend: str, capability: str, declared: Gap | None) -> Iterator[None]:
    """Around the checks of one capability. No gap: a plain block. A gap: the block must fail as
    declared (then the test xfails); another failure propagates, and passing fails (strict)."""
    if declared is None:
        yield
        return
    try:
        yield
    except declared.raises as exc:
        if not declared.explains(exc):
            exc.add_note(f"{backend} gap '{capability}' expects text matching "
                         f"{declared.match!r}: this is a different failure")
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        pytest.xfail(f"{backend} gap '{capability}': {declared.why} "
                     f"({type(exc).__name__}: {first})")
    pytest.fail(f"{backend}: declared gap '{capability}' no longer fails; remove it "
                f"from the backend's gaps ({declared.why})")
